"""Who is told of an attendance, on which channels, and when a failed delivery is tried again.

Pure functions over plain data: no I/O, tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from schemas.enums import CareTeamRole, Channel


@dataclass(frozen=True)
class Member:
    user_id: int
    role: CareTeamRole


@dataclass(frozen=True)
class Recipient:
    user_id: int
    role: CareTeamRole
    reason: str


def select_recipients(
    *,
    members: Sequence[Member],
    responsible_la: str,
    residence_la: str | None,
    duty_users_by_la: Mapping[str, Sequence[int]],
    transfers: Sequence[tuple[str, str]] = (),
) -> list[Recipient]:
    """Everyone on the care team; and the duty team of the responsible local authority when nobody is
    the lead social worker (an attendance must never reach no-one); and the duty team where the young
    person lives when that is another local authority (moves across a border broke the plan for Jez);
    and for each transfer between local authorities still in progress, given as (from, to): the
    receiving one's duty team, which has nobody on the care team yet, and the sending one's when nobody
    is the lead social worker (it keeps responsibility until the receiving one accepts).
    Each person is told once, in their care-team role if they have one.
    """
    chosen: dict[int, Recipient] = {}
    for member in members:
        chosen.setdefault(member.user_id, Recipient(member.user_id, member.role, "care_team"))
    if not any(m.role == CareTeamRole.lead_social_worker for m in members):
        for user_id in duty_users_by_la.get(responsible_la, ()):
            chosen.setdefault(user_id, Recipient(user_id, CareTeamRole.duty, "no_lead_social_worker"))
    if residence_la and residence_la != responsible_la:
        for user_id in duty_users_by_la.get(residence_la, ()):
            chosen.setdefault(user_id, Recipient(user_id, CareTeamRole.duty, "cross_border"))
    has_lead = any(m.role == CareTeamRole.lead_social_worker for m in members)
    for from_la, to_la in transfers:
        for user_id in duty_users_by_la.get(to_la, ()):
            chosen.setdefault(user_id, Recipient(user_id, CareTeamRole.duty, "transfer"))
        for user_id in () if has_lead else duty_users_by_la.get(from_la, ()):
            chosen.setdefault(user_id, Recipient(user_id, CareTeamRole.duty, "no_lead_social_worker"))
    return list(chosen.values())


def channels_for(
    *, email: str | None, webhook_url: str | None, telegram_chat_id: int | None
) -> list[Channel]:
    """The channels a person can be reached on, in the order they are tried."""
    channels: list[Channel] = []
    if telegram_chat_id is not None:
        channels.append(Channel.telegram)
    if email:
        channels.append(Channel.email)
    if webhook_url:
        channels.append(Channel.webhook)
    return channels


def retry_delay_seconds(*, attempt: int, base: int, cap: int, retry_after: float | None = None) -> int:
    """Exponential back-off after the given (1-based) failed attempt, capped; a server's Retry-After wins
    when it asks for longer."""
    delay = min(cap, base * (1 << max(0, attempt - 1)))
    if retry_after is not None:
        delay = max(delay, int(retry_after + 0.999))
    return delay


def should_retry(
    *,
    attempt: int,
    max_attempts: int,
    permanent: bool,
    spent_seconds: float = 0.0,
    budget_seconds: float | None = None,
) -> bool:
    """Try again unless the error is permanent, the attempts are used up, or the next try would fall
    after the retry budget (measured in time since the delivery was made): a receiver down for an hour
    still gets its alerts, however many attempts that takes."""
    if permanent or attempt >= max_attempts:
        return False
    return budget_seconds is None or spent_seconds < budget_seconds
