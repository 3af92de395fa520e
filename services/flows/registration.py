"""Registering a young person, and what a registrant learns when the NHS number is already registered.

Whether a child is known to services must not travel across local authorities (issue 11): someone who may
read the record, or the authority's own case system, is answered with the existing `ref`; anyone else is
told only which local authority holds the young person and its duty team to contact, and that authority's
safeguarding leads (its duty team when it has none) are told of the attempt by ref. Each attempt is audited
against the ref, so the access log shows who tried."""

from __future__ import annotations

from sqlalchemy.orm import Session

from schemas.api.people import AlreadyKnown, ContactTeam, YoungPersonCreate
from schemas.enums import CareTeamRole, NotificationKind, Role, Via
from services.flows import case_access
from services.kernel.audit import service as audit
from services.kernel.identity import Principal
from services.notifications import service as notifications
from services.people import access
from services.people import service as people
from services.people.models import YoungPerson
from services.staff import directory


def register(
    session: Session, *, data: YoungPersonCreate, actor: Principal, via: Via
) -> YoungPerson | AlreadyKnown:
    """The new young person, or what the registrant may learn of the one already registered."""
    try:
        return people.register(session, data=data, actor=actor, via=via)
    except people.AlreadyRegistered as exc:
        return _already_known(session, exc.young_person, actor=actor, via=via)


def _already_known(session: Session, existing: YoungPerson, *, actor: Principal, via: Via) -> AlreadyKnown:
    detail = "a young person with this NHS number is already registered"
    told = access.may_learn_ref_of_known(actor, case_access.facts(session, young_person=existing))
    event = audit.record(
        session,
        actor=actor,
        action="young_person.register_duplicate",
        via=via,
        ref=existing.ref,
        detail={"ref_told": told, "registrant_la": actor.la_code},
    )
    if told:
        return AlreadyKnown(detail=detail, ref=existing.ref)
    session.flush()  # the audit event's id names this attempt
    leads = directory.safeguarding_leads(session, la_code=existing.responsible_la)
    notifications.create(
        session,
        kind=NotificationKind.registration_elsewhere,
        young_person=existing,
        recipients=[
            (u, CareTeamRole.safeguarding_lead if u.role == Role.safeguarding_lead else CareTeamRole.duty)
            for u in leads
        ],
        event=notifications.Event("register_attempt", event.id),
    )
    contact = [
        ContactTeam(code=t.code, name=t.name)
        for t in directory.duty_teams(session, la_code=existing.responsible_la)
    ]
    where = f"{existing.responsible_la}'s duty team" if contact else f"{existing.responsible_la}"
    return AlreadyKnown(
        detail=f"{detail} with another local authority: contact {where}; they have been told of this request",
        known_to=existing.responsible_la,
        contact=contact,
    )
