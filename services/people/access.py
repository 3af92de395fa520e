"""Who may do what with a young person's record: pure rules over plain data (OWASP API1 and API5).

Access follows a legitimate relationship, as with NHS national RBAC: role + activity + relationship.
- admin: everyone;
- safeguarding_lead: young people whose responsible or residence local authority is their team's, or
  who are being transferred from or to it (a transfer open or accepted, not yet completed);
- team_manager: young people whose care team includes a member of their team, or who are being
  transferred from or to their team's local authority;
- everyone else (liaison, social_worker, clinician): young people whose care team includes them, or
  whom the service has alerted them about lately (a duty team told of an attendance must be able to act):
  an alert grants access for ALERT_ACCESS_HOURS from when it was made, and none once it is withdrawn
  (`alert_grants_access`; lasting access is care-team membership);
- integration: registers young people and sends attendances, but reads no record and changes none: no
  details, statuses or local authorities, no care team (which decides who may read the record). A feed
  answered with a record, or able to put anyone on a care team, would be a way round every rule above;
- ig_officer (information governance): reads the audit trail and every record's access log, and nothing
  of the records themselves; is never on a care team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.enums import NotificationKind, Role
from services.kernel.identity import Principal


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about one young person."""

    responsible_la: str
    residence_la: str | None
    member_user_ids: frozenset[int]
    member_team_ids: frozenset[int]
    alerted_user_ids: frozenset[int] = frozenset()
    # Both local authorities of every transfer still in progress (open or accepted, not completed): the
    # receiving one must see the young person before it accepts, the sending one until the handover is done.
    transfer_las: frozenset[str] = frozenset()


# A notice that an event was withdrawn tells people who were already told of it: it grants no new access.
NOTICES_OF_WITHDRAWAL = frozenset(
    {
        NotificationKind.attendance_cancelled,
        NotificationKind.missed_appointment_withdrawn,
        NotificationKind.transfer_withdrawn,
    }
)


def alert_access_since(now: datetime, *, hours: int) -> datetime:
    """Alerts made at or after this moment still grant access (`alert_grants_access`)."""
    return now - timedelta(hours=hours)


def alert_grants_access(
    *, kind: str, made_at: datetime, voided_at: datetime | None, now: datetime, hours: int
) -> bool:
    """Whether an alert lets its recipient read the record now: made within the last `hours`, not
    withdrawn (an attendance cancelled or entered in error voids the alerts about it), and not itself a
    notice of a withdrawal. `services.flows.case_access.facts` asks the same in SQL."""
    return (
        kind not in NOTICES_OF_WITHDRAWAL
        and voided_at is None
        and made_at >= alert_access_since(now, hours=hours)
    )


def _in_la(principal: Principal, case: CaseFacts) -> bool:
    return principal.la_code is not None and principal.la_code in {case.responsible_la, case.residence_la}


def _in_transfer(principal: Principal, case: CaseFacts) -> bool:
    return principal.la_code is not None and principal.la_code in case.transfer_las


def may_view(principal: Principal, case: CaseFacts) -> bool:
    """May read the record, its chronology, notifications and plans."""
    match principal.role:
        case Role.admin:
            return True
        case Role.integration | Role.ig_officer:
            return False
        case Role.safeguarding_lead:
            return _in_la(principal, case) or _in_transfer(principal, case)
        case Role.team_manager:
            return (
                principal.team_id in case.member_team_ids
                or principal.user_id in case.member_user_ids
                or _in_transfer(principal, case)
            )
        case _:
            return principal.user_id in case.member_user_ids or principal.user_id in case.alerted_user_ids


def may_register(principal: Principal, responsible_la: str) -> bool:
    """May register a new young person for this local authority."""
    if principal.role in (Role.admin, Role.integration):
        return True
    return principal.role == Role.safeguarding_lead and principal.la_code == responsible_la


def may_learn_ref_of_known(principal: Principal, case: CaseFacts) -> bool:
    """Registering an NHS number already registered: whether the answer may carry the existing `ref`.
    Someone who may read the record, or an integration account of one of the young person's local
    authorities (the authority's own case system). Anyone else learns only which authority holds the
    young person, so that whether a child is known to services does not travel across authorities."""
    if may_view(principal, case):
        return True
    return principal.role == Role.integration and (_in_la(principal, case) or _in_transfer(principal, case))


def may_manage_care_team(principal: Principal, case: CaseFacts) -> bool:
    """May add people to the care team (and so decide who is told of attendances and may read the record).
    Not an integration account: membership grants access, and a feed grants none (may_view)."""
    if principal.role == Role.admin:
        return True
    if principal.role == Role.safeguarding_lead:
        return _in_la(principal, case) or _in_transfer(principal, case)
    return principal.role == Role.team_manager and may_view(principal, case)


def may_update(principal: Principal, case: CaseFacts) -> bool:
    """May change demographics, statuses or where the young person lives (the answer is the record, so
    only someone who may read it)."""
    if may_manage_care_team(principal, case):
        return True
    return principal.role == Role.social_worker and may_view(principal, case)


def may_acknowledge_on_behalf(principal: Principal, case: CaseFacts, *, recipient_team_id: int) -> bool:
    """May acknowledge someone else's notification on their behalf: a team manager of the recipient's own
    team, or a safeguarding lead of the young person's local authority (or of one in a transfer): the people
    the recipient's chase would reach next (docs/escalation.md), taking it on before it reaches them. Not an
    admin, not a colleague: everyone else acknowledges only their own notifications."""
    if principal.role == Role.team_manager:
        return principal.team_id == recipient_team_id
    if principal.role == Role.safeguarding_lead:
        return _in_la(principal, case) or _in_transfer(principal, case)
    return False


def may_record_attendance(principal: Principal) -> bool:
    return principal.role in (Role.admin, Role.integration, Role.liaison, Role.clinician)


ASSESSORS = frozenset(
    {Role.liaison, Role.clinician, Role.social_worker, Role.team_manager, Role.safeguarding_lead, Role.admin}
)


def may_assess(principal: Principal, case: CaseFacts) -> bool:
    """May start, answer, complete and amend needs assessments, keep the unmet-needs register, escalate
    to Gateway or Resolution and record THRIVE groupings: an assessing role that may see the record."""
    return principal.role in ASSESSORS and may_view(principal, case)


def may_book_appointment(principal: Principal, case: CaseFacts, *, owner_team_id: int) -> bool:
    """May book an appointment for the young person: whoever may assess them, or someone of an assessing
    role in the owning team when that team already has a member on the care team (CAMHS booking its own
    clinic for a young person its colleague works with)."""
    if may_assess(principal, case):
        return True
    return (
        principal.role in ASSESSORS
        and principal.team_id == owner_team_id
        and owner_team_id in case.member_team_ids
    )


def may_record_appointment_outcome(
    principal: Principal, case: CaseFacts, *, owner_team_id: int | None
) -> bool:
    """May record what happened at an appointment: whoever may assess the young person, or someone of an
    assessing role in the team that owns the appointment (the clinic that saw, or did not see, them)."""
    if may_assess(principal, case):
        return True
    return principal.role in ASSESSORS and owner_team_id is not None and principal.team_id == owner_team_id


def may_move_appointment(
    principal: Principal, case: CaseFacts, *, owner_team_id: int | None, new_owner_team_id: int | None
) -> bool:
    """May move an appointment (its time, owning team or owner, kind): whoever may record its outcome, and,
    when it goes to another team, may also book for that team (nobody hands their clinic's slot to a
    service they could not book for)."""
    if not may_record_appointment_outcome(principal, case, owner_team_id=owner_team_id):
        return False
    if new_owner_team_id is None or new_owner_team_id == owner_team_id:
        return True
    return may_book_appointment(principal, case, owner_team_id=new_owner_team_id)


def _manages_for_la(principal: Principal, la_code: str) -> bool:
    """A safeguarding lead or team manager of a team in this local authority. Not an admin: a decision
    of a local authority is recorded by someone of that local authority."""
    return principal.role in (Role.safeguarding_lead, Role.team_manager) and principal.la_code == la_code


def may_accept_transfer(principal: Principal, *, to_la: str) -> bool:
    """May accept or decline a transfer into `to_la`, confirm it is complete: the receiving local
    authority's safeguarding lead or a team manager of one of its teams."""
    return _manages_for_la(principal, to_la)


def may_withdraw_transfer(principal: Principal, *, from_la: str) -> bool:
    """May withdraw a transfer out of `from_la`: the sending local authority's lead or a team manager."""
    return _manages_for_la(principal, from_la)


def reads_records(principal: Principal) -> bool:
    """Whether the role ever reads a young person's record: not an integration account (a feed) and not
    information governance (who reads the trail about the records, never the records)."""
    return principal.role not in (Role.integration, Role.ig_officer)


def may_read_audit_trail(principal: Principal) -> bool:
    """May search the whole audit trail (who did what to whom): information governance, and the system
    administrator, who already may see every record (docs/audit.md)."""
    return principal.role in (Role.admin, Role.ig_officer)


def may_read_access_log(principal: Principal, case: CaseFacts) -> bool:
    """May read who viewed or changed this young person's record: information governance, an admin, or the
    safeguarding lead of a
    local authority responsible for them, where they live or in a transfer (the Caldicott function for the
    record). Not the care team: which colleague looked at what is a governance question, not a care one."""
    return principal.role in (Role.admin, Role.ig_officer) or (
        principal.role == Role.safeguarding_lead
        and (_in_la(principal, case) or _in_transfer(principal, case))
    )


def may_read_partnership_report(principal: Principal, *, la_code: str) -> bool:
    """May read a local authority's partnership report (figures only, nobody named): its safeguarding
    leads and team managers, information governance and the system administrator."""
    if principal.role in (Role.admin, Role.ig_officer):
        return True
    return principal.role in (Role.safeguarding_lead, Role.team_manager) and principal.la_code == la_code


def may_read_dashboard(principal: Principal) -> bool:
    """May open the managers' dashboard (what is waiting across their scope): a team manager (their team's
    alerts, the young people whose care teams their team is on) or a safeguarding lead (their local
    authority's). Each young person on it is still one `may_view` allows."""
    return principal.role in (Role.team_manager, Role.safeguarding_lead)


@dataclass(frozen=True)
class PlanSharing:
    """What the young person agreed about sharing one care plan version, as plain data."""

    # Agencies the young person did not consent to share it with (recorded `false` per agency).
    withheld_from: frozenset[str]
    # The care coordinators on the care team: they hold the plan and are whom everyone else asks.
    coordinator_user_ids: frozenset[int]


def may_read_care_plan_content(principal: Principal, *, agency: str, sharing: PlanSharing) -> bool:
    """May read a care plan's content (aims, goals, interventions, views, reviews), given that they may
    view the record (`may_view`) and the reader's team belongs to `agency`. Not when the young person did
    not consent to share the plan with that agency: its members learn that a plan exists and whom to ask.
    A care coordinator always may (they hold the plan). The admin is bound too: consent is the young
    person's, not a permission of a role. Used by every reader of a care plan: the API (JSON and FHIR),
    the plans overview the bot shows, and the subject access export is not one (it is the young
    person's own copy)."""
    if principal.user_id in sharing.coordinator_user_ids:
        return True
    return agency not in sharing.withheld_from


def may_export_subject_access(principal: Principal, case: CaseFacts) -> bool:
    """May export everything held about a young person (a subject access request, UK GDPR Art 15):
    information governance only. The one thing the IG officer reads of a record, and only whole, for a
    disclosure that is theirs to make: they check third parties' information and the exemptions (DPA 2018
    Sch 2-3, e.g. serious harm for health and social work data) before anything leaves. Not the admin, not
    a safeguarding lead: they read the record already, and a disclosure is not a care decision. Every
    export, and every refusal, is audited (`subject_access.export`)."""
    return principal.role == Role.ig_officer
