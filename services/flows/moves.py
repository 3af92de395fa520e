"""A change to a young person's record and what it sets going: a new residence or responsible local
authority enters the chronology, a new residence prompts a re-score of the needs assessment
(services/assessments/needs.py), and a move into another local authority opens a transfer that tells both
(services/transfers)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from schemas.api.people import YoungPersonUpdate
from schemas.enums import Via, YoungPersonStatus
from services.assessments import needs
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.clock import utcnow
from services.kernel.errors import Conflict
from services.kernel.identity import Principal
from services.notifications.events import Event
from services.people.models import YoungPerson
from services.transfers import service as transfers
from services.transfers.rules import LaState


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
