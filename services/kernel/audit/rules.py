"""The audit trail's hash chain: pure functions over plain rows (no I/O), so the same code seals and verifies.

Each seal `n` links one audit event into the chain: hash_n = SHA-256(hash_{n-1} || "\\n" || canonical JSON of
the event), with hash_0 = GENESIS. Chain order is seal order (not event id order): an event that commits late
is sealed by a later run, after events with higher ids. Verification recomputes every link from the events as
they are now, so a changed field, a deleted or inserted event or seal, or a reordering breaks a link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

GENESIS = "0" * 64
# The fields that make up an event, in the canonical form. Adding a column to audit_events means adding it
# here too (and sealing it from then on): a field not hashed can be changed without anyone noticing.
EVENT_FIELDS = (
    "id",
    "at",
    "actor_user_id",
    "actor_username",
    "actor_role",
    "young_person_ref",
    "action",
    "outcome",
    "via",
    "detail",
)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("audit times are UTC and timezone-aware")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(event: Mapping[str, Any]) -> str:
    """The event as canonical JSON: the EVENT_FIELDS only, keys sorted, no spaces, UTC times to the
    microsecond. Two stores of the same event (SQLite, PostgreSQL) give the same text."""
    data = {name: _canonical_value(event[name]) for name in EVENT_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(previous: str, event: Mapping[str, Any]) -> str:
    """The hash that seals `event` after the link whose hash is `previous`."""
    return hashlib.sha256(f"{previous}\n{canonical(event)}".encode()).hexdigest()


@dataclass(frozen=True)
class Seal:
    """One link of the chain as stored."""

    seq: int
    event_id: int
    hash: str


def chain(head_seq: int, head_hash: str, events: Sequence[Mapping[str, Any]]) -> list[Seal]:
    """The seals that append `events` (in the order given) after the head (seq 0 and GENESIS if empty)."""
    seals: list[Seal] = []
    previous = head_hash
    for offset, event in enumerate(events, start=1):
        previous = link_hash(previous, event)
        seals.append(Seal(seq=head_seq + offset, event_id=int(event["id"]), hash=previous))
    return seals


@dataclass(frozen=True)
class BrokenLink:
    """The first seal that does not match: its position and why."""

    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    sealed: int
    head_hash: str
    broken: BrokenLink | None
    # Events not sealed although older than the grace period: a sealer that has stopped, or evidence held
    # back (an event whose seal was removed along with the link after it).
    overdue_unsealed: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.overdue_unsealed


def verify(
    seals: Iterable[Seal],
    events: Mapping[int, Mapping[str, Any]],
    *,
    now: datetime,
    grace: timedelta,
) -> Verification:
    """Recompute the chain from GENESIS over `seals` (in any order: they are sorted by seq) and the events
    as they are now (`events` by id: every event in the table). Reports the first broken link, and the
    events no seal names that are older than `grace` at `now`."""
    ordered = sorted(seals, key=lambda s: s.seq)
    previous = GENESIS
    seen: set[int] = set()
    broken: BrokenLink | None = None
    count = 0
    for expected_seq, seal in enumerate(ordered, start=1):
        problem = _check(seal, expected_seq, previous, events, seen)
        if problem is not None:
            broken = BrokenLink(seq=seal.seq, event_id=seal.event_id, reason=problem)
            break
        seen.add(seal.event_id)
        previous = seal.hash
        count += 1
    overdue = sorted(
        event_id
        for event_id, event in events.items()
        if event_id not in seen and _older_than(event["at"], now - grace)
    )
    if broken is not None:  # past the break nothing is trusted: only report events before it as overdue
        sealed_after = {s.event_id for s in ordered}
        overdue = [e for e in overdue if e not in sealed_after]
    return Verification(sealed=count, head_hash=previous, broken=broken, overdue_unsealed=overdue)


def _check(
    seal: Seal, expected_seq: int, previous: str, events: Mapping[int, Mapping[str, Any]], seen: set[int]
) -> str | None:
    if seal.seq != expected_seq:
        return f"seal {expected_seq} is missing (the next is {seal.seq})"
    if seal.event_id in seen:
        return f"event {seal.event_id} is sealed twice"
    event = events.get(seal.event_id)
    if event is None:
        return f"event {seal.event_id} is sealed but no longer exists"
    if link_hash(previous, event) != seal.hash:
        return f"event {seal.event_id} or the chain before it was changed"
    return None


def _older_than(at: datetime, cutoff: datetime) -> bool:
    return at < cutoff
