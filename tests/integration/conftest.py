"""Integration fixtures: a clean database and Redis for every test, the app, people, a real SMTP server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis import Redis
from rq import Queue
from sqlalchemy import select, update

from schemas.api.staff import TeamCreate, UserCreate
from schemas.enums import Agency, Role, Via
from schemas.settings import get_settings
from services.app import create_app
from services.kernel.audit.models import AuditEvent
from services.kernel.db import session_scope
from services.kernel.redis_conn import get_redis
from services.notifications.dispatch import QUEUE
from services.notifications.models import Notification
from services.staff import service as staff
from tests.conftest import Database, _reset_settings
from worker.quick_stop import QuickStopSimpleWorker


@pytest.fixture(autouse=True)
def clean(database: Database, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    _reset_settings()
    database.reset()
    Redis.from_url(redis_url).flushdb()
    yield
    _reset_settings()


@pytest.fixture(scope="session")
def app() -> FastAPI:
    """One app per worker: create_app reads no settings (requests do), and building its routes cost
    every test ~0.1 s."""
    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


class Mailbox:
    """Messages received by a real SMTP server on a loopback port."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: str | None = None  # e.g. "550 5.1.1 no such user": every recipient is refused so

    async def handle_RCPT(  # noqa: N802 - aiosmtpd API
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    _reset_settings()
    try:
        yield box
    finally:
        controller.stop()


def run_worker() -> None:
    """Drain the notifications queue with a real rq worker (in-process, so it shares this test's settings)."""
    redis = get_redis()
    QuickStopSimpleWorker([Queue(QUEUE, connection=redis)], connection=redis).work(
        burst=True, with_scheduler=False
    )


@dataclass
class Person:
    username: str
    token: str
    link_code: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class World:
    """Builds teams and users through the same service functions the CLI uses."""

    def team(
        self,
        code: str,
        *,
        agency: Agency = Agency.social_care,
        la: str | None = "CEC",
        duty: bool = False,
        out_of_hours: bool = False,
    ) -> str:
        with session_scope() as session:
            staff.create_team(
                session,
                data=TeamCreate(
                    code=code,
                    name=f"Team {code}",
                    agency=agency,
                    la_code=la,
                    is_duty=duty,
                    is_out_of_hours=out_of_hours,
                ),
                actor=None,
                via=Via.cli,
            )
        return code

    def user(
        self, username: str, *, role: Role, team: str, email: str | None = None, webhook: str | None = None
    ) -> Person:
        with session_scope() as session:
            created = staff.create_user(
                session,
                data=UserCreate(
                    username=username,
                    display_name=username.title(),
                    role=role,
                    team_code=team,
                    email=email,
                    webhook_url=webhook,
                ),
                actor=None,
                via=Via.cli,
                link_code_ttl_hours=get_settings().link_code_ttl_hours,
            )
            return Person(username, created.token, created.link_code)


@pytest.fixture
def world() -> World:
    return World()


YOUNG_PERSON = {
    "nhs_number": "9990000018",
    "given_name": "Alex",
    "family_name": "Testperson",
    "date_of_birth": "2005-03-14",
    "responsible_la": "CEC",
    "statuses": ["cp_plan"],
}


def attendance(source_id: str = "V0001", nhs_number: str = "9990000018", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nhs_number": nhs_number,
        "arrived_at": "2026-11-28T09:25:00+00:00",
        "site_code": "RBT",
        "setting": "emergency_department",
        "reasons": ["overdose"],
        "source": "RBT-EDIS",
        "source_id": source_id,
    }
    body.update(extra)
    return body


def made_at(at: datetime, *, since: datetime) -> datetime:
    """Time travel for timers that count working time: the notifications made since `since` are recorded
    as made at `at` (a chosen weekday, or the night before a bank holiday). Returns `at`."""
    with session_scope() as session:
        session.execute(update(Notification).where(Notification.created_at >= since).values(created_at=at))
    return at


def audit_events(**where: Any) -> list[AuditEvent]:
    """Audit events matching the given column values, oldest first (read straight from the database)."""
    with session_scope() as session:
        statement = select(AuditEvent).order_by(AuditEvent.id)
        for column, value in where.items():
            statement = statement.where(getattr(AuditEvent, column) == value)
        return list(session.scalars(statement))


@dataclass
class Case:
    """A registered young person with a lead social worker, and the people around them."""

    ref: str
    lead: Person
    social_worker: Person
    hospital: Person


@pytest.fixture
def case(client: TestClient, world: World) -> Case:
    world.team("CEC-CSC")
    world.team("CEC-SG")
    world.team("RBT-LIA", la=None)
    lead = world.user("lead", role=Role.safeguarding_lead, team="CEC-SG")
    social_worker = world.user(
        "jsmith", role=Role.social_worker, team="CEC-CSC", email="jo.smith@example.org"
    )
    hospital = world.user("hosp", role=Role.liaison, team="RBT-LIA")
    created = client.post("/api/v1/young-people", json=YOUNG_PERSON, headers=lead.headers)
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    added = client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "jsmith", "role": "lead_social_worker"},
        headers=lead.headers,
    )
    assert added.status_code == 201, added.text
    return Case(ref, lead, social_worker, hospital)


def add_care_coordinator(client: TestClient, world: World, case: Case) -> Person:
    """A hospital liaison nurse who coordinates the young person's care."""
    nurse = world.user("nurse", role=Role.liaison, team="RBT-LIA", email="nurse@example.org")
    added = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "nurse", "role": "care_coordinator"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    return nurse


def start_and_answer(client: TestClient, person: Person, ref: str, answers: dict[str, Any]) -> int:
    """Start an assessment through the API and save each answer; returns its id."""
    started = client.post(f"/api/v1/young-people/{ref}/assessments", json={}, headers=person.headers)
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "draft"
    assessment_id = int(started.json()["id"])
    for link_id, value in answers.items():
        saved = client.put(
            f"/api/v1/assessments/{assessment_id}/answers/{link_id}",
            json={"value": value},
            headers=person.headers,
        )
        assert saved.status_code == 200, saved.text
    return assessment_id


def default_answers(overrides: dict[str, Any] | None = None, *, score: int = 0) -> dict[str, Any]:
    """Every item of the default template answered: first (lowest) option, no, `score`; then `overrides`."""
    from schemas.checklists import ItemType, bundled_templates

    answers: dict[str, Any] = {}
    for item in bundled_templates()[0].items:
        if item.type == ItemType.choice:
            answers[item.link_id] = item.options[0].code
        elif item.type == ItemType.boolean:
            answers[item.link_id] = False
        elif item.type == ItemType.score:
            answers[item.link_id] = score
    answers["c.young_person_views"] = "I want to stay near my sister."
    return answers | (overrides or {})


def complete_assessment(
    client: TestClient,
    person: Person,
    ref: str,
    answers: dict[str, Any] | None = None,
    formulation: str = "Settled at home; protective: sister, school.",
) -> int:
    """Start, answer (default: `default_answers()`) and complete an assessment through the API."""
    assessment_id = start_and_answer(client, person, ref, default_answers() if answers is None else answers)
    done = client.post(
        f"/api/v1/assessments/{assessment_id}/complete",
        json={"formulation": formulation},
        headers=person.headers,
    )
    assert done.status_code == 200, done.text
    return assessment_id
