"""One unit of work per request (`services.deps.get_session`) and per job (`services.db.session_scope`):
the commit happens before the response is sent, a failed commit is never answered 2xx, deliveries are
queued after the commit and never for work rolled back, and a refusal's audit event outlives the
rollback of the work it refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis import Redis
from rq import Queue
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from schemas.enums import CareTeamRole, NotificationKind, Via
from schemas.settings import get_settings
from services.app import create_app
from services.attendances.models import Attendance
from services.audit import service as audit
from services.clock import utcnow
from services.db import session_scope
from services.deps import SessionDep
from services.errors import Forbidden
from services.notifications import service as notifications
from services.notifications.dispatch import QUEUE, job_id
from services.notifications.models import Delivery
from services.people.models import YoungPerson
from services.staff.models import User
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, _free_port, attendance, audit_events, run_worker
from worker import jobs


def _count(model: type[object]) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _queued(redis_url: str) -> list[str]:
    return sorted(Queue(QUEUE, connection=Redis.from_url(redis_url)).job_ids)


def _delivery_jobs() -> list[str]:
    with session_scope() as session:
        return sorted(job_id(d, 0) for d in session.scalars(select(Delivery.id)))


class Watched:
    """The app behind an ASGI wrapper that notes, when the response starts, what the database holds."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.attendances_at_response: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watching(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/api/v1/attendances":
                # Another connection: it sees only what was committed.
                self.attendances_at_response = _count(Attendance)
            await send(message)

        await self.app(scope, receive, watching)


def test_the_request_commits_before_the_response_is_sent(client: TestClient, case: Case) -> None:
    watched = Watched(create_app())
    with TestClient(watched) as watching_client:
        answer = watching_client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert answer.status_code == 202, answer.text
    assert watched.attendances_at_response == 1


@contextmanager
def failing_commit() -> Iterator[None]:
    """Every commit of a session fails, as when the database goes away at that moment."""

    def fail(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    event.listen(Session, "before_commit", fail)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", fail)


def test_a_failed_commit_is_an_error_and_queues_nothing(case: Case, redis_url: str) -> None:
    with TestClient(create_app(), raise_server_exceptions=False) as failing_client:
        with failing_commit():
            answer = failing_client.post(
                "/api/v1/attendances", json=attendance(), headers=case.hospital.headers
            )
    assert answer.status_code == 500
    assert _count(Attendance) == 0
    assert _count(Delivery) == 0
    assert _queued(redis_url) == []


def test_deliveries_made_in_a_request_are_queued_once_it_committed(
    client: TestClient, case: Case, redis_url: str
) -> None:
    answer = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert answer.status_code == 202, answer.text
    assert _delivery_jobs() != []
    assert _queued(redis_url) == _delivery_jobs()


def _tell_social_worker(session: Session, case: Case) -> None:
    young_person = session.scalars(select(YoungPerson).where(YoungPerson.ref == case.ref)).one()
    user = session.scalars(select(User).where(User.username == case.social_worker.username)).one()
    notifications.create(
        session,
        kind=NotificationKind.rescore,
        young_person=young_person,
        recipients=[(user, CareTeamRole.lead_social_worker)],
        key="unit-of-work-test",
    )


def test_a_delivery_is_queued_after_the_commit_and_not_before(case: Case, redis_url: str) -> None:
    seen_before_commit: list[list[str]] = []

    def before(_session: Session) -> None:
        seen_before_commit.append(_queued(redis_url))

    event.listen(Session, "before_commit", before)
    try:
        with session_scope() as session:
            _tell_social_worker(session, case)
            session.flush()
            assert _count(Delivery) == 0  # not committed yet: another connection sees nothing
    finally:
        event.remove(Session, "before_commit", before)
    assert seen_before_commit and not any(seen_before_commit)  # nothing queued before a commit
    assert len(_delivery_jobs()) == 1
    assert _queued(redis_url) == _delivery_jobs()


def test_a_delivery_rolled_back_is_never_queued(case: Case, redis_url: str) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        _tell_social_worker(session, case)
        session.flush()
        raise RuntimeError("the rest of the work failed")
    assert _count(Delivery) == 0
    assert _queued(redis_url) == []
    with session_scope() as session:  # the session's notes went with the rollback
        _tell_social_worker(session, case)
    assert len(_delivery_jobs()) == 1
    assert _queued(redis_url) == _delivery_jobs()


def test_with_redis_away_the_request_succeeds_and_the_sweeper_sends_later(
    client: TestClient, case: Case, mailbox: Mailbox, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    _reset_settings()
    answer = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert answer.status_code == 202, answer.text
    assert _count(Delivery) == 1
    monkeypatch.setenv("REDIS_URL", redis_url)
    _reset_settings()
    assert _queued(redis_url) == []
    grace = get_settings().sweep_interval_seconds
    assert jobs.sweep(now=utcnow() + timedelta(seconds=grace + 1)) == 1
    run_worker()
    assert len(mailbox.wait_for(1)) == 1


def _refusing_app() -> FastAPI:
    """The app with one more route: it does some work, then refuses, as a route that finds out late."""
    app = create_app()

    def work_then_refuse(session: SessionDep) -> None:
        audit.record(session, actor=None, action="test.work", via=Via.api)
        session.flush()
        audit.record_refusal(session, actor=None, action="test.refused", via=Via.api)
        raise Forbidden("refused after the work began")

    app.add_api_route("/test/refuse", work_then_refuse, methods=["POST"])
    return app


def test_a_refusal_is_audited_although_the_work_it_refused_is_rolled_back() -> None:
    with TestClient(_refusing_app()) as refusing_client:
        answer = refusing_client.post("/test/refuse")
    assert answer.status_code == 403
    assert audit_events(action="test.work") == []
    [refusal] = audit_events(action="test.refused")
    assert refusal.outcome == "denied"


def test_a_refusal_in_a_job_is_kept_the_same_way() -> None:
    with pytest.raises(Forbidden), session_scope() as session:
        audit.record(session, actor=None, action="test.work", via=Via.worker)
        audit.record_refusal(session, actor=None, action="test.refused", via=Via.worker, outcome="refused")
        raise Forbidden("no")
    assert audit_events(action="test.work") == []
    assert [e.outcome for e in audit_events(action="test.refused")] == ["refused"]


def test_a_route_refusal_is_kept_and_one_committed_with_the_work_is_written_once(
    client: TestClient, case: Case
) -> None:
    outsider_answer = client.post(
        "/api/v1/attendances", json=attendance(), headers=case.social_worker.headers
    )
    assert outsider_answer.status_code == 403
    assert [e.outcome for e in audit_events(action="attendance.record")] == ["denied"]
    with session_scope() as session:  # committed with the work: not written again
        audit.record_refusal(session, actor=None, action="test.refused", via=Via.cli)
    assert len(audit_events(action="test.refused")) == 1
