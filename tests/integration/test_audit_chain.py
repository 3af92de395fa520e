"""The audit trail's hash chain over the real database: sealed by the job and the command, verified, and a
DBA's edit behind the triggers' back is found. Two sealers at once never fork the chain."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from runtime.cli import app
from schemas.enums import Via
from services.kernel.audit import sealing
from services.kernel.audit import service as audit
from services.kernel.audit.models import AuditEvent, AuditSeal
from services.kernel.clock import utcnow
from services.kernel.db import get_engine, session_scope
from tests.integration.conftest import Case, audit_events
from worker import jobs

runner = CliRunner()
GRACE = timedelta(minutes=15)


def seals() -> list[tuple[int, int]]:
    with session_scope() as session:
        return [(s.seq, s.event_id) for s in session.scalars(select(AuditSeal).order_by(AuditSeal.seq))]


def record(count: int, **fields: object) -> None:
    with session_scope() as session:
        for n in range(count):
            audit.record(session, actor=None, action="test.event", via=Via.cli, ref=f"YP-{n}", **fields)  # type: ignore[arg-type]


@contextmanager
def behind_the_triggers(table: str) -> Iterator[None]:
    """What a DBA with the owner's rights can do: switch the append-only triggers off, and on again."""
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        try:
            yield
        finally:
            with engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        return
    with engine.begin() as connection:
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table}
        ).all()
        for name, _sql in rows:
            connection.execute(text(f"DROP TRIGGER {name}"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            for _name, sql in rows:
                connection.execute(text(sql))


def test_the_job_seals_every_event_in_order_and_the_chain_verifies(case: Case) -> None:
    events = audit_events()
    assert jobs.seal_audit() == len(events)
    assert seals() == [(n, e.id) for n, e in enumerate(events, start=1)]
    assert jobs.seal_audit() == 0  # nothing new: nothing sealed twice
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    answer = json.loads(verified.output)
    assert answer["ok"] and answer["sealed"] == len(events) and answer["broken"] is None
    assert answer["missing_guards"] == [] and answer["overdue_unsealed"] == []


def test_the_command_seals_and_a_late_event_is_sealed_by_a_later_run(case: Case) -> None:
    with session_scope() as session:  # an event whose transaction commits after later ones were sealed
        session.add(
            AuditEvent(
                id=10_000,
                at=utcnow(),
                actor_username="x",
                actor_role="system",
                action="test.late",
                outcome="allowed",
                via="cli",
                detail={},
            )
        )
    sealed = runner.invoke(app, ["audit", "seal"])
    assert sealed.exit_code == 0 and json.loads(sealed.output)["sealed"] == len(audit_events())
    with session_scope() as session:
        session.add(
            AuditEvent(
                id=5_000,
                at=utcnow(),
                actor_username="x",
                actor_role="system",
                action="test.late",
                outcome="allowed",
                via="cli",
                detail={},
            )
        )
    assert json.loads(runner.invoke(app, ["audit", "seal"]).output)["sealed"] == 1
    assert [event_id for _seq, event_id in seals()][-2:] == [10_000, 5_000]  # chain order is seal order
    assert sealing.verify(now=utcnow(), grace=GRACE).ok


def test_a_dba_editing_a_sealed_event_is_found(case: Case) -> None:
    jobs.seal_audit()
    [registered] = audit_events(action="young_person.registered")
    with behind_the_triggers("audit_events"):
        with session_scope() as session:
            session.execute(
                update(AuditEvent).where(AuditEvent.id == registered.id).values(actor_username="lead2")
            )
        unguarded = runner.invoke(app, ["audit", "verify"])
        assert unguarded.exit_code == 1
        assert json.loads(unguarded.output)["missing_guards"] == (
            ["audit_events_no_change"]
            if get_engine().dialect.name == "postgresql"
            else ["audit_events_no_delete", "audit_events_no_update"]
        )
    result = sealing.verify(now=utcnow(), grace=GRACE)
    assert result.broken is not None and result.broken.event_id == registered.id
    assert [s for s, e in seals() if e == registered.id] == [result.broken.seq]
    refused = runner.invoke(app, ["audit", "verify"])
    assert refused.exit_code == 1
    answer = json.loads(refused.output)
    assert answer["broken"]["event_id"] == registered.id and answer["missing_guards"] == []


def test_a_dba_removing_the_newest_seals_leaves_events_unsealed_and_overdue(case: Case) -> None:
    jobs.seal_audit()
    [*_, last] = seals()
    with behind_the_triggers("audit_seals"), session_scope() as session:
        session.execute(delete(AuditSeal).where(AuditSeal.seq == last[0]))
    assert sealing.verify(now=utcnow(), grace=GRACE).ok  # within the grace period: not yet a gap
    late = sealing.verify(now=utcnow() + GRACE + timedelta(seconds=1), grace=GRACE)
    assert late.broken is None and late.overdue_unsealed == [last[1]] and not late.ok


def test_seals_cannot_be_changed_or_removed(case: Case) -> None:
    jobs.seal_audit()
    with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
        session.execute(update(AuditSeal).where(AuditSeal.seq == 1).values(hash="0" * 64))
    with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
        session.execute(delete(AuditSeal))
    assert sealing.verify(now=utcnow(), grace=GRACE).ok


def test_two_sealers_at_once_never_fork_the_chain(case: Case) -> None:
    record(120)
    start = threading.Barrier(2)
    totals: list[int] = []
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            start.wait()
            totals.append(sealing.seal(now=utcnow(), batch=7, attempts=200))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    everything = audit_events()
    assert sum(totals) == len(everything)
    chain = seals()
    assert [seq for seq, _ in chain] == list(range(1, len(everything) + 1))
    assert sorted(e for _, e in chain) == [e.id for e in everything]
    assert sealing.verify(now=utcnow(), grace=GRACE).ok
