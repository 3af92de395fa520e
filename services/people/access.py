"""Who may do what with a young person's record: pure rules over plain data (OWASP API1 and API5).

Access follows a legitimate relationship, as with NHS national RBAC: role + activity + relationship.
- admin: everyone;
- safeguarding_lead: young people whose responsible or residence local authority is their team's;
- team_manager: young people whose care team includes a member of their team;
- everyone else (liaison, social_worker, clinician): young people whose care team includes them, or
  whom the service has alerted them about (a duty team told of an attendance must be able to act);
- integration: registers young people and care teams and sends attendances, but reads no record.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.enums import Role, Via


@dataclass(frozen=True)
class Principal:
    """The caller, as plain data. `via` says how they came: a bearer token (api) or the Telegram bot, acting
    for the user linked to a chat (bot); every audit event and answer the API writes for them carries it."""

    user_id: int
    username: str
    role: Role
    team_id: int
    la_code: str | None
    via: Via = Via.api


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about one young person."""

    responsible_la: str
    residence_la: str | None
    member_user_ids: frozenset[int]
    member_team_ids: frozenset[int]
    alerted_user_ids: frozenset[int] = frozenset()


def _in_la(principal: Principal, case: CaseFacts) -> bool:
    return principal.la_code is not None and principal.la_code in {case.responsible_la, case.residence_la}


def may_view(principal: Principal, case: CaseFacts) -> bool:
    """May read the record, its chronology, notifications and plans."""
    match principal.role:
        case Role.admin:
            return True
        case Role.integration:
            return False
        case Role.safeguarding_lead:
            return _in_la(principal, case)
        case Role.team_manager:
            return principal.team_id in case.member_team_ids or principal.user_id in case.member_user_ids
        case _:
            return principal.user_id in case.member_user_ids or principal.user_id in case.alerted_user_ids


def may_register(principal: Principal, responsible_la: str) -> bool:
    """May register a new young person for this local authority."""
    if principal.role in (Role.admin, Role.integration):
        return True
    return principal.role == Role.safeguarding_lead and principal.la_code == responsible_la


def may_manage_care_team(principal: Principal, case: CaseFacts) -> bool:
    """May add people to the care team (and so decide who is told of attendances)."""
    if principal.role in (Role.admin, Role.integration):
        return True
    if principal.role == Role.safeguarding_lead:
        return _in_la(principal, case)
    return principal.role == Role.team_manager and may_view(principal, case)


def may_update(principal: Principal, case: CaseFacts) -> bool:
    """May change demographics, statuses or where the young person lives."""
    if may_manage_care_team(principal, case):
        return True
    return principal.role == Role.social_worker and may_view(principal, case)


def may_record_attendance(principal: Principal) -> bool:
    return principal.role in (Role.admin, Role.integration, Role.liaison, Role.clinician)


ASSESSORS = frozenset(
    {Role.liaison, Role.clinician, Role.social_worker, Role.team_manager, Role.safeguarding_lead, Role.admin}
)


def may_assess(principal: Principal, case: CaseFacts) -> bool:
    """May start, answer, complete and amend needs assessments, keep the unmet-needs register, escalate
    to Gateway or Resolution and record THRIVE groupings: an assessing role that may see the record."""
    return principal.role in ASSESSORS and may_view(principal, case)
