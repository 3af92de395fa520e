"""Erasing what is past retention (a command: it never commits; the caller's unit of work does, so the
whole erasure is one transaction: all of it, or, on any failure, none).

The audit trail is not erased: it is append-only (database triggers) and hash-chained, and holds no
personal data (who, in what role, did what, to which opaque ref, when, how; `detail` identifiers and codes
only). It keeps a tombstone for each erasure instead: `retention.erased`, by category and row counts per
table. A record's tombstone names its ref: the ref is random, carries nothing about the child, is already on
every earlier event of the trail (which cannot change without breaking the chain) and, once the record is
gone, nothing in liaison leads from it to a person; it lets the IG officer answer "what became of
YP-...?". It holds no date derived from the record (no birthday, no keep-until), no name, no NHS number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from schemas.enums import Via
from schemas.settings_retention import RetentionSettings
from services.intake.models import InboundMessage
from services.kernel.audit import service as audit
from services.kernel.identity import Principal
from services.retention import holdings, views
from services.retention.views import Report
from services.staff.models import ApiToken

ERASED = "retention.erased"


def _erase_record(session: Session, *, young_person_id: int) -> dict[str, int]:
    """Delete every row the young person has (holdings.walk), dependants first; returns counts per table."""
    held = holdings.walk(session, young_person_id=young_person_id)
    for table in reversed(holdings.tables()):
        ids = held.ids.get(table.name)
        if ids:
            session.execute(delete(table).where(holdings.key(table).in_(ids)))
    return held.counts()


def erase(
    session: Session, *, settings: RetentionSettings, now: datetime, actor: Principal | None, via: Via
) -> Report:
    """Erase everything past retention on `now` (never a record on hold), with a tombstone for each."""
    due = views.report(session, settings=settings, now=now)
    for record in due.records:
        if record.on_hold:
            continue
        rows = _erase_record(session, young_person_id=record.young_person_id)
        audit.record(
            session,
            actor=actor,
            action=ERASED,
            via=via,
            ref=record.ref,
            detail={"category": views.RECORD, "rows": rows},
        )
    for category, model, ids in (
        (views.UNLINKED_INTAKE, InboundMessage, due.unlinked_intake_ids),
        (views.TOKENS, ApiToken, due.token_ids),
    ):
        if not ids:
            continue
        session.execute(delete(model).where(model.id.in_(ids)))
        audit.record(
            session, actor=actor, action=ERASED, via=via, detail={"category": category, "count": len(ids)}
        )
    session.flush()
    return due
