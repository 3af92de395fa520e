"""Delivery job ids against a Redis that outlives the database (the embedded Redis keeps its files in
`.liaison/` across runs; a production Redis outlives a restore). The ids must not collide with the jobs
another database left there, yet stay the same for one database, so queueing twice makes one job."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from redis import Redis
from rq import Queue
from sqlalchemy import create_engine, select, text

from schemas.enums import Role
from services.kernel.db import dispose_engines, session_scope
from services.kernel.migrate import upgrade
from services.kernel.redis_conn import get_redis
from services.notifications.dispatch import QUEUE, enqueue_delivery
from services.notifications.models import Delivery
from tests.conftest import Database, _reset_settings
from tests.integration.conftest import YOUNG_PERSON, Mailbox, World, attendance, run_worker


def _register(client: TestClient, world: World) -> dict[str, str]:
    """A young person with a lead social worker who has an email address; the hospital's headers."""
    world.team("CEC-CSC")
    world.team("CEC-SG")
    world.team("RBT-LIA", la=None)
    lead = world.user("lead", role=Role.safeguarding_lead, team="CEC-SG")
    world.user("jsmith", role=Role.social_worker, team="CEC-CSC", email="jo.smith@example.org")
    hospital = world.user("hosp", role=Role.liaison, team="RBT-LIA")
    ref = client.post("/api/v1/young-people", json=YOUNG_PERSON, headers=lead.headers).json()["ref"]
    added = client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "jsmith", "role": "lead_social_worker"},
        headers=lead.headers,
    )
    assert added.status_code == 201, added.text
    return hospital.headers


def _fresh_database(database: Database) -> None:
    """The database made again from nothing by the migrations, as on a new installation."""
    dispose_engines()
    if database.is_sqlite:
        target = Path(database.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
    else:
        engine = create_engine(database.url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(database.url)
    _reset_settings()


def _restored_database(database: Database) -> None:
    """The same database restored from a backup taken before any delivery: same deployment, ids again."""
    with session_scope() as session:
        kept = session.execute(text("SELECT id, deployment_id FROM deployment")).all()
    database.reset()
    _reset_settings()
    with session_scope() as session:
        session.execute(text("DELETE FROM deployment"))
        for row in kept:
            session.execute(
                text("INSERT INTO deployment (id, deployment_id) VALUES (:id, :d)"),
                {"id": row.id, "d": row.deployment_id},
            )


def _first_alert(client: TestClient, world: World, mailbox: Mailbox, expected: int) -> None:
    headers = _register(client, world)
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=headers)
    assert accepted.status_code == 202, accepted.text
    run_worker()
    assert len(mailbox.wait_for(expected, timeout=5)) == expected
    with session_scope() as session:
        assert session.scalars(select(Delivery.status)).all() == ["delivered"]


def test_a_fresh_database_against_a_redis_that_kept_old_jobs_alerts_at_once(
    client: TestClient, world: World, mailbox: Mailbox, database: Database, redis_url: str
) -> None:
    _first_alert(client, world, mailbox, expected=1)
    kept = Redis.from_url(redis_url).keys("rq:job:deliver-*")
    assert kept  # the finished job stays in Redis for its result's lifetime

    _fresh_database(database)  # Redis is not flushed: it kept the job above
    _first_alert(client, world, mailbox, expected=2)
    # The new database's job had an id of its own: the old one was not in its way (nor deleted).
    now_kept = Redis.from_url(redis_url).keys("rq:job:deliver-*")
    assert set(kept) < set(now_kept) and len(now_kept) == 2


def test_a_restored_database_against_a_redis_that_kept_old_jobs_alerts_at_once(
    client: TestClient, world: World, mailbox: Mailbox, database: Database
) -> None:
    _first_alert(client, world, mailbox, expected=1)
    _restored_database(database)
    _first_alert(client, world, mailbox, expected=2)


def test_queueing_the_same_attempt_twice_makes_one_job(client: TestClient, world: World) -> None:
    headers = _register(client, world)
    client.post("/api/v1/attendances", json=attendance(), headers=headers)  # queues attempt 1
    with session_scope() as session:
        [delivery_id] = session.scalars(select(Delivery.id)).all()
    assert enqueue_delivery(get_redis(), delivery_id=delivery_id, attempts=0) is False
    assert Queue(QUEUE, connection=get_redis()).count == 1
