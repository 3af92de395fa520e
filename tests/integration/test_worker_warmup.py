"""The worker compiles the delivery path's SQL once, before it forks a work horse per job, and changes
nothing doing so; a delivery then compiles only its INSERTs afresh (docs/performance.md)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import event, func, select
from sqlalchemy.engine.interfaces import CacheStats

from services.kernel.audit.models import AuditEvent
from services.kernel.chronology.models import ChronologyEntry
from services.kernel.clock import utcnow
from services.kernel.db import dispose_engines, get_engine, session_scope
from services.notifications import delivery
from services.notifications.models import Delivery, DeliveryAttempt, Notification
from tests.integration.conftest import Case, Mailbox, attendance
from worker import jobs


def _snapshot() -> dict[str, Any]:
    with session_scope() as session:
        return {
            "deliveries": [
                tuple(r) for r in session.execute(select(Delivery.id, Delivery.status, Delivery.attempts))
            ],
            "notifications": [
                tuple(r) for r in session.execute(select(Notification.id, Notification.status))
            ],
            "attempts": session.scalar(select(func.count()).select_from(DeliveryAttempt)),
            "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
            "chronology": session.scalar(select(func.count()).select_from(ChronologyEntry)),
        }


def test_warming_up_changes_nothing_and_the_delivery_then_compiles_only_its_inserts(
    client: TestClient, case: Case, mailbox: Mailbox, redis_url: str
) -> None:
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202
    Redis.from_url(redis_url).flushdb()  # no job: this test drives the delivery itself
    before = _snapshot()
    dispose_engines()  # a new engine: an empty compiled cache, as in a worker just started

    with session_scope() as session:
        delivery.warm_up(session, now=utcnow())
    assert _snapshot() == before

    compiled_afresh: list[str] = []

    @event.listens_for(get_engine(), "before_cursor_execute")
    def _note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if context is not None and context.cache_hit is CacheStats.CACHE_MISS:
            compiled_afresh.append(statement.split()[0])

    with session_scope() as session:
        [delivery_id] = session.scalars(select(Delivery.id))
    compiled_afresh.clear()  # that SELECT is the test's own
    assert jobs.deliver(delivery_id) == "delivered"
    event.remove(get_engine(), "before_cursor_execute", _note)

    assert set(compiled_afresh) == {"INSERT"}  # the attempt, the chronology entry and the audit event
    assert len(mailbox.wait_for(1)) == 1
    after = _snapshot()
    assert after["deliveries"] == [(delivery_id, "delivered", 1)]
    assert [status for _, status in after["notifications"]] == ["delivered"]
    assert (after["attempts"], after["chronology"] - before["chronology"]) == (1, 1)
    assert after["audit"] - before["audit"] == 1
