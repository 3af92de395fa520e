"""Writing the audit trail. Every read or write of a young person's data goes through `record`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from schemas.enums import Via
from services.audit.models import AuditEvent
from services.clock import utcnow
from services.db import keep_on_rollback
from services.people.access import Principal

SYSTEM_ACTOR = "liaison-system"


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    via: Via,
    ref: str | None = None,
    outcome: str = "allowed",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the session (it commits with the work it describes).

    `detail` holds identifiers and codes only: never names, NHS numbers or clinical free text.
    """
    event = AuditEvent(
        at=utcnow(),
        actor_user_id=actor.user_id if actor else None,
        actor_username=actor.username if actor else SYSTEM_ACTOR,
        actor_role=str(actor.role) if actor else "system",
        young_person_ref=ref,
        action=action,
        outcome=outcome,
        via=str(via),
        detail=detail or {},
    )
    session.add(event)
    return event


def record_refusal(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    via: Via,
    ref: str | None = None,
    outcome: str = "denied",
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a refusal (`denied` access, or a `refused` step) that the caller then raises, or answers: it
    is kept although raising rolls back the work it refused (`record_kept`). Never commit for it."""
    record_kept(session, actor=actor, action=action, via=via, ref=ref, outcome=outcome, detail=detail)


def record_kept(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    via: Via,
    ref: str | None = None,
    outcome: str = "allowed",
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an event that must outlive the work it is about: written with the work if it commits, and
    in a short transaction of its own after the rollback if it does not (`services.db.keep_on_rollback`,
    done by the session's owner: the request's `get_session`, or `session_scope`)."""

    def write(again: Session) -> None:
        record(again, actor=actor, action=action, via=via, ref=ref, outcome=outcome, detail=detail)

    keep_on_rollback(session, write)
