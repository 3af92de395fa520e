"""Registering young people and their care teams. Keyword-only functions, session first."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.people import (
    CareTeamMemberCreate,
    CareTeamMemberRead,
    YoungPersonCreate,
    YoungPersonRead,
)
from schemas.enums import CareTeamRole, Role, Via, YoungPersonStatus
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.clock import utcnow
from services.kernel.errors import Conflict, Invalid, NotFound
from services.kernel.identity import Principal
from services.people.models import CareTeamMember, YoungPerson
from services.staff.models import User

REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


class AlreadyRegistered(Conflict):
    def __init__(self, young_person: YoungPerson) -> None:
        super().__init__("a young person with this NHS number is already registered")
        self.young_person = young_person
        self.ref = young_person.ref


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


def register(session: Session, *, data: YoungPersonCreate, actor: Principal, via: Via) -> YoungPerson:
    existing = find_by_nhs_number(session, nhs_number=data.nhs_number)
    if existing is not None:
        raise AlreadyRegistered(existing)  # what the registrant may learn of it: services/flows/registration
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
    if user.role in (Role.integration, Role.ig_officer):  # membership grants reading, and alerts
        audit.record_refusal(
            session,
            actor=actor,
            action="care_team.member_added",
            via=via,
            ref=young_person.ref,
            outcome="refused",
            detail={"username": user.username, "reason": "reads_no_record"},
        )
        raise Invalid(f"an {user.role} account is never on a care team: it reads no record")
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
        date_of_death=young_person.date_of_death,
    )
