"""Sealing the audit trail into its hash chain, and verifying the chain against the database.

Requests never wait for the chain: `record` only inserts an event. A sealer (the scheduler's `seal_audit`
job, or `liaison audit seal`) later appends a seal for every event committed so far and not yet sealed, in
id order, after the current head. One sealer at a time is enforced by the database itself: `audit_seals.seq`
is the primary key and `event_id` is unique, so a second sealer that read the same head fails to insert the
same `seq` (PostgreSQL makes it wait for the first and then refuses it; SQLite refuses its write) and rolls
back its whole batch. It then starts again from the new head. The chain cannot fork, and needs neither a
lock in Redis (which is transport, not the system of record) nor one per dialect.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from services.kernel.audit import rules
from services.kernel.audit.models import AuditEvent, AuditSeal
from services.kernel.db import session_scope

log = logging.getLogger(__name__)


def event_row(event: AuditEvent) -> dict[str, Any]:
    """An audit event as plain data, the fields the chain covers."""
    return {name: getattr(event, name) for name in rules.EVENT_FIELDS}


def head(session: Session) -> tuple[int, str]:
    """The last seal's seq and hash (0 and GENESIS before the first)."""
    last = session.execute(
        select(AuditSeal.seq, AuditSeal.hash).order_by(AuditSeal.seq.desc()).limit(1)
    ).first()
    return (0, rules.GENESIS) if last is None else (last.seq, last.hash)


def unsealed(session: Session, *, limit: int) -> list[AuditEvent]:
    """Committed events no seal names yet, lowest id first (a late commit is simply picked up later)."""
    statement = (
        select(AuditEvent)
        .outerjoin(AuditSeal, AuditSeal.event_id == AuditEvent.id)
        .where(AuditSeal.seq.is_(None))
        .order_by(AuditEvent.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def seal_batch(session: Session, *, now: datetime, limit: int) -> int:
    """Append seals for up to `limit` unsealed events after the head; returns how many (flushed, the caller
    commits)."""
    seq, previous = head(session)
    events = unsealed(session, limit=limit)
    links = rules.chain(seq, previous, [event_row(e) for e in events])
    session.add_all(AuditSeal(seq=s.seq, event_id=s.event_id, hash=s.hash, sealed_at=now) for s in links)
    session.flush()
    return len(links)


class SealContended(RuntimeError):
    """Every attempt lost the next link to another sealer (or the database refused the write): this run gave
    up; the next carries on from the head."""


def seal(*, now: datetime, batch: int = 500, attempts: int = 20) -> int:
    """Seal everything committed so far, `batch` events per transaction. Returns how many were sealed by this
    call. A batch that loses the race for the next link to another sealer is rolled back and retried from
    the new head (up to `attempts` times in a row)."""
    total = 0
    lost = 0
    while True:
        try:
            with session_scope() as session:
                sealed = seal_batch(session, now=now, limit=batch)
        except (IntegrityError, OperationalError) as exc:
            # IntegrityError: the seq or event was taken. OperationalError: SQLite refused our write because
            # another sealer committed since we read the head (or the database is busy).
            lost += 1
            if lost >= attempts:
                raise SealContended(
                    f"gave up after {lost} attempts in a row: another sealer kept taking the next link, "
                    "or the database refused the write"
                ) from exc
            log.info("another sealer took the next link; starting again from the new head")
            continue
        lost = 0
        total += sealed
        if sealed < batch:
            return total


def verify(*, now: datetime, grace: timedelta) -> rules.Verification:
    """Load the whole chain and every event, and verify them (rules.verify)."""
    with session_scope() as session:
        seals = [
            rules.Seal(seq=s.seq, event_id=s.event_id, hash=s.hash)
            for s in session.execute(select(AuditSeal.seq, AuditSeal.event_id, AuditSeal.hash))
        ]
        events = {e.id: event_row(e) for e in session.scalars(select(AuditEvent))}
    return rules.verify(seals, events, now=now, grace=grace)


# The append-only triggers the migrations create (0001 for the events, 0011 for the seals), by dialect.
GUARDS = {
    "postgresql": {"audit_events_no_change", "audit_seals_no_change"},
    "sqlite": {
        "audit_events_no_update",
        "audit_events_no_delete",
        "audit_seals_no_update",
        "audit_seals_no_delete",
    },
}


def missing_guards(session: Session) -> list[str]:
    """The append-only triggers that are missing or switched off (a DBA working behind their back)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        present = session.scalars(
            text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgrelid IN ('audit_events'::regclass, 'audit_seals'::regclass)"
            )
        )
    else:
        present = session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'")
        )
    return sorted(GUARDS.get(dialect, set()) - set(present))
