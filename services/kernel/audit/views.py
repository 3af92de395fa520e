"""Searching the audit trail, newest first, a page at a time (information governance; docs/audit.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.kernel.audit.models import AuditEvent
from services.kernel.audit.schemas import AuditEventRead, AuditPage


@dataclass(frozen=True)
class AuditQuery:
    ref: str | None = None
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    before: int | None = None  # events with a lower id only: the paging cursor
    limit: int = 100

    def filters(self) -> dict[str, str]:
        """The search as identifiers, for the audit event of the read itself (not the cursor)."""
        given = {
            "ref": self.ref,
            "actor": self.actor,
            "action": self.action,
            "outcome": self.outcome,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {key: value for key, value in given.items() if value is not None}


def search(session: Session, query: AuditQuery) -> AuditPage:
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(query.limit + 1)
    if query.ref is not None:
        statement = statement.where(AuditEvent.young_person_ref == query.ref)
    if query.actor is not None:
        statement = statement.where(AuditEvent.actor_username == query.actor)
    if query.action is not None:
        statement = statement.where(AuditEvent.action == query.action)
    if query.outcome is not None:
        statement = statement.where(AuditEvent.outcome == query.outcome)
    if query.since is not None:
        statement = statement.where(AuditEvent.at >= query.since)
    if query.until is not None:
        statement = statement.where(AuditEvent.at < query.until)
    if query.before is not None:
        statement = statement.where(AuditEvent.id < query.before)
    found = list(session.scalars(statement))
    page = found[: query.limit]
    more = len(found) > query.limit
    return AuditPage(
        events=[AuditEventRead.model_validate(e) for e in page],
        next_before=page[-1].id if more else None,
    )
