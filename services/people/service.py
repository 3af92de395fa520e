"""Registering young people, their care teams and moves. Keyword-only functions, session first."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.people import (
    CareTeamMemberCreate,
    CareTeamMemberRead,
    YoungPersonCreate,
    YoungPersonRead,
    YoungPersonUpdate,
)
from schemas.enums import CareTeamRole, Via, YoungPersonStatus
from services.assessments import needs
from services.audit import service as audit
from services.chronology import service as chronology
from services.clock import utcnow
from services.errors import Conflict, Forbidden, NotFound
from services.notifications.events import Event
from services.notifications.models import Notification
from services.people.access import CaseFacts, Principal
from services.people.models import CareTeamMember, YoungPerson
from services.staff.models import User
from services.transfers import service as transfers
from services.transfers.models import Transfer
from services.transfers.rules import LaState, TransferStatus

REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


class AlreadyRegistered(Conflict):
    def __init__(self, ref: str) -> None:
        super().__init__("a young person with this NHS number is already registered")
        self.ref = ref


def new_ref() -> str:
    """An opaque case reference: 50 random bits, nothing derived from the person."""
    body = "".join(secrets.choice(REF_ALPHABET) for _ in range(10))
    return f"YP-{body[:5]}-{body[5:]}"


def get(session: Session, *, ref: str) -> YoungPerson:
    young_person = session.scalar(select(YoungPerson).where(YoungPerson.ref == ref))
    if young_person is None:
        raise NotFound(f"no young person with ref {ref!r}")
    return young_person


def find_by_nhs_number(session: Session, *, nhs_number: str) -> YoungPerson | None:
    return session.scalar(select(YoungPerson).where(YoungPerson.nhs_number == nhs_number))


def facts(session: Session, *, young_person: YoungPerson) -> CaseFacts:
    alerted = session.scalars(
        select(Notification.recipient_id).where(Notification.young_person_id == young_person.id)
    )
    live = session.execute(
        select(Transfer.from_la, Transfer.to_la).where(
            Transfer.young_person_id == young_person.id,
            Transfer.status.in_([TransferStatus.open, TransferStatus.accepted]),
        )
    )
    return CaseFacts(
        responsible_la=young_person.responsible_la,
        residence_la=young_person.residence_la,
        member_user_ids=frozenset(m.user_id for m in young_person.care_team),
        member_team_ids=frozenset(m.user.team_id for m in young_person.care_team),
        alerted_user_ids=frozenset(alerted),
        transfer_las=frozenset(la for pair in live for la in pair),
    )


def authorise(
    session: Session,
    *,
    principal: Principal,
    young_person: YoungPerson,
    rule: Callable[[Principal, CaseFacts], bool],
    action: str,
    via: Via,
) -> None:
    """Allow, or record the denial in the audit trail (kept although the request rolls back) and refuse."""
    if rule(principal, facts(session, young_person=young_person)):
        return
    audit.record_refusal(
        session, actor=principal, action=action, via=via, ref=young_person.ref, outcome="denied"
    )
    raise Forbidden("this young person is not in your care teams")


def register(session: Session, *, data: YoungPersonCreate, actor: Principal, via: Via) -> YoungPerson:
    existing = find_by_nhs_number(session, nhs_number=data.nhs_number)
    if existing is not None:
        audit.record(
            session, actor=actor, action="young_person.register_duplicate", via=via, ref=existing.ref
        )
        raise AlreadyRegistered(existing.ref)
    ref = new_ref()
    while session.scalar(select(YoungPerson.id).where(YoungPerson.ref == ref)) is not None:
        ref = new_ref()
    young_person = YoungPerson(
        ref=ref,
        nhs_number=data.nhs_number,
        given_name=data.given_name,
        family_name=data.family_name,
        date_of_birth=data.date_of_birth,
        responsible_la=data.responsible_la,
        residence_la=data.residence_la,
        statuses=[str(s) for s in data.statuses],
    )
    session.add(young_person)
    session.flush()
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=young_person.created_at,
        kind="registered",
        summary=f"Registered with {data.responsible_la} as responsible local authority",
        detail={"responsible_la": data.responsible_la, "residence_la": data.residence_la},
    )
    audit.record(session, actor=actor, action="young_person.registered", via=via, ref=ref)
    return young_person


def update(
    session: Session,
    *,
    young_person: YoungPerson,
    data: YoungPersonUpdate,
    actor: Principal,
    via: Via,
) -> YoungPerson:
    """Apply a change. A new residence or responsible local authority is a move and enters the chronology;
    a new residence also prompts a re-score of the needs assessment, and a move into another local
    authority opens a transfer that tells both (services/transfers)."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("responsible_la", "") is None:
        raise Conflict("responsible_la cannot be removed")
    now = utcnow()
    was = LaState(young_person.responsible_la, young_person.residence_la)
    for field in ("residence_la", "responsible_la"):
        if field in changes and changes[field] != getattr(young_person, field):
            before = getattr(young_person, field)
            label = "residence" if field == "residence_la" else "responsible local authority"
            moved = chronology.add(
                session,
                young_person_id=young_person.id,
                at=now,
                kind="moved",
                summary=f"Change of {label}: {before or 'none'} to {changes[field] or 'none'}",
                detail={"field": field, "from": before, "to": changes[field]},
            )
            if field == "residence_la":
                session.flush()  # the move's chronology entry names it
                needs.prompt_rescore(
                    session,
                    young_person=young_person,
                    reason=f"a change of residence local authority to {changes[field] or 'none'}",
                    cause=Event("residence", young_person.id, round=moved.id),  # each move once
                    at=now,
                )
    if "statuses" in changes and changes["statuses"] is not None:
        changes["statuses"] = sorted({str(YoungPersonStatus(s)) for s in changes["statuses"]})
        if changes["statuses"] != sorted(young_person.statuses):
            chronology.add(
                session,
                young_person_id=young_person.id,
                at=now,
                kind="status_changed",
                summary="Statuses now: " + (", ".join(changes["statuses"]) or "none"),
                detail={"from": young_person.statuses, "to": changes["statuses"]},
            )
    for field, value in changes.items():
        setattr(young_person, field, value)
    young_person.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="young_person.updated",
        via=via,
        ref=young_person.ref,
        detail={"fields": sorted(changes)},
    )
    transfers.open_for_change(session, young_person=young_person, before=was, actor=actor, via=via, now=now)
    return young_person


def add_member(
    session: Session,
    *,
    young_person: YoungPerson,
    data: CareTeamMemberCreate,
    actor: Principal,
    via: Via,
) -> CareTeamMember:
    """Add someone to the care team, or change their role if they are already on it."""
    user = session.scalar(select(User).where(User.username == data.username, User.active.is_(True)))
    if user is None:
        raise NotFound(f"no active user {data.username!r}")
    member = next((m for m in young_person.care_team if m.user_id == user.id), None)
    if member is None:
        member = CareTeamMember(young_person=young_person, user=user, role=data.role)
        session.add(member)
        summary = f"{user.display_name} ({user.team.name}) joined the care team as {data.role.label}"
    else:
        summary = f"{user.display_name}'s care-team role changed to {data.role.label}"
        member.role = data.role
    session.flush()
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=member.added_at if member.added_at else utcnow(),
        kind="care_team_changed",
        summary=summary,
        detail={"username": user.username, "role": str(data.role)},
    )
    audit.record(
        session,
        actor=actor,
        action="care_team.member_added",
        via=via,
        ref=young_person.ref,
        detail={"username": user.username, "role": str(data.role)},
    )
    return member


def member_read(member: CareTeamMember) -> CareTeamMemberRead:
    return CareTeamMemberRead(
        username=member.user.username,
        display_name=member.user.display_name,
        role=CareTeamRole(member.role),
        team=member.user.team.code,
        agency=member.user.team.agency,
        added_at=member.added_at,
    )


def to_read(young_person: YoungPerson) -> YoungPersonRead:
    return YoungPersonRead(
        ref=young_person.ref,
        nhs_number=young_person.nhs_number,
        given_name=young_person.given_name,
        family_name=young_person.family_name,
        date_of_birth=young_person.date_of_birth,
        responsible_la=young_person.responsible_la,
        residence_la=young_person.residence_la,
        statuses=[YoungPersonStatus(s) for s in young_person.statuses],
        care_team=[member_read(m) for m in young_person.care_team],
        created_at=young_person.created_at,
        updated_at=young_person.updated_at,
    )
