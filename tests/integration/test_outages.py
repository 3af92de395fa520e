"""The retry path under faults (issue 14): processes that outlast a Redis outage, retries moved into the
queue without rq's scheduler (whose lock a SIGKILLed worker held for a minute, looked for again only every
ten minutes), and a sweeper that leaves alone what is still queued. Each over a real Redis server this test
owns (so it can stop and start it), real `liaison worker` / `liaison scheduler` processes and real SMTP."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from rq import Queue
from sqlalchemy import select

from runtime import embedded_redis
from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications.dispatch import QUEUE
from services.notifications.models import DeliveryAttempt
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, attendance
from tests.integration.test_worker_death import HoldingMailbox, _holding, _start, _stop
from worker import jobs
from worker.scheduler import PERIODIC_QUEUE, Periodic, queue_periodic

pytestmark = pytest.mark.integration


class OwnRedis:
    """A Redis server on a fixed port that the test stops and starts again, with or without its data."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = embedded_redis.free_port()
        self.generation = 0
        self.server = embedded_redis.start(root / "r0", port=self.port)

    @property
    def url(self) -> str:
        return self.server.url

    def kill(self) -> None:
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait()

    def start(self, *, keep_data: bool) -> None:
        if not keep_data:
            self.generation += 1
        self.server = embedded_redis.start(self.root / f"r{self.generation}", port=self.port)


@pytest.fixture
def own_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path / "redis")
    monkeypatch.setenv("REDIS_URL", redis.url)
    _reset_settings()
    try:
        yield redis
    finally:
        redis.server.stop()
        _reset_settings()


def _alive_through(process: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        code = process.poll()  # type: ignore[attr-defined]
        assert code is None, f"exited with {code} while Redis was away"
        time.sleep(0.2)


@pytest.fixture
def brief_hold(monkeypatch: pytest.MonkeyPatch) -> Iterator[HoldingMailbox]:
    """The first send is held 4 s and refused (451); later ones are taken."""
    yield from _holding(monkeypatch, hold_seconds=4)


def test_a_worker_outlasts_a_redis_outage_in_mid_job_and_delivers_afterwards(
    client: TestClient, case: Case, own_redis: OwnRedis, brief_hold: HoldingMailbox, tmp_path: Path
) -> None:
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202
    worker = _start(tmp_path / "worker.log", "worker")
    try:
        brief_hold.wait_until_holding()
        own_redis.kill()  # mid-send: the job ends with Redis away (its retry cannot be queued)
        _alive_through(worker, 8)  # rq's loop quit with code 1 here
        own_redis.start(keep_data=True)
        again = client.post("/api/v1/attendances", json=attendance("V2"), headers=case.hospital.headers)
        assert again.status_code == 202
        [mail] = brief_hold.wait_for(1, timeout=30)
        assert mail["X-Liaison-Ref"] == case.ref
        assert worker.poll() is None
    finally:
        _stop(worker)


def test_the_scheduler_outlasts_a_redis_outage_and_sweeps_what_it_lost(
    client: TestClient,
    case: Case,
    mailbox: Mailbox,
    own_redis: OwnRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "5")
    _reset_settings()
    scheduler = _start(tmp_path / "scheduler.log", "scheduler")
    worker = _start(tmp_path / "worker.log", "worker")
    try:
        time.sleep(3)
        own_redis.kill()
        accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
        assert accepted.status_code == 202  # recorded; its job could not be queued
        _alive_through(scheduler, 12)  # CronScheduler raised out of its loop here, and stayed dead
        own_redis.start(keep_data=False)  # a fresh Redis: nothing of before
        logs = [tmp_path / "scheduler.log", tmp_path / "worker.log"]
        [mail] = mailbox.wait_for(1, timeout=40) or [p.read_text()[-3000:] for p in logs]
        assert mail["X-Liaison-Ref"] == case.ref
        assert scheduler.poll() is None and worker.poll() is None
    finally:
        _stop(worker)
        _stop(scheduler)
    assert "sweeper re-drove 1 of 1" in (tmp_path / "scheduler.log").read_text()


def test_a_retry_goes_when_due_though_a_killed_worker_held_rqs_scheduler_lock(
    client: TestClient,
    case: Case,
    mailbox: Mailbox,
    own_redis: OwnRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rq's scheduler lock outlived a SIGKILLed worker by 61 s and the next worker looked for it only after
    ten minutes; the retry sat in rq's scheduled registry all that time. The sweep is set far off, so only
    the retry path can send it."""
    monkeypatch.setenv("DELIVERY_RETRY_BASE_SECONDS", "2")
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "600")
    _reset_settings()
    first = _start(tmp_path / "first.log", "worker")
    scheduler = _start(tmp_path / "scheduler.log", "scheduler")
    second = None
    try:
        time.sleep(4)  # the first worker is up (it held rq's scheduler lock when workers ran it)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        mailbox.refuse = "451 4.3.0 try again later"
        second = _start(tmp_path / "second.log", "worker")
        accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
        assert accepted.status_code == 202
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with session_scope() as session:
                if session.scalar(select(DeliveryAttempt.id).where(DeliveryAttempt.outcome == "failed")):
                    break
            time.sleep(0.1)
        mailbox.refuse = None
        failed_at = time.monotonic()
        [mail] = mailbox.wait_for(1, timeout=20)
        assert time.monotonic() - failed_at < 8  # the 2 s back-off, the mover's second, the queue
        assert mail["X-Liaison-Ref"] == case.ref
    finally:
        if second is not None:
            _stop(second)
        _stop(scheduler)


def test_the_sweeper_leaves_a_delivery_whose_job_is_still_queued(
    client: TestClient, case: Case, redis_url: str
) -> None:
    """Under a backlog the sweeper queued a second job for every delivery still waiting in the queue."""
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202
    queue = Queue(QUEUE, connection=Redis.from_url(redis_url))
    assert queue.count == 1
    later = utcnow() + timedelta(seconds=get_settings().sweep_interval_seconds + 1)
    assert jobs.sweep(now=later) == 0
    assert queue.count == 1
    queue.empty()  # now it is lost
    assert jobs.sweep(now=later) == 1
    assert queue.count == 1


def test_periodic_jobs_have_their_own_queue_and_run_once_a_slot(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    task = Periodic("seal", jobs.seal_audit, 60)
    now = time.time()
    assert queue_periodic(redis, task, now=now)
    assert not queue_periodic(redis, task, now=now)  # a second scheduler, the same slot
    assert Queue(PERIODIC_QUEUE, connection=redis).count == 1
    assert Queue(QUEUE, connection=redis).count == 0


def test_a_worker_started_while_redis_is_away_waits_for_it(
    client: TestClient, case: Case, mailbox: Mailbox, own_redis: OwnRedis, tmp_path: Path
) -> None:
    """As `liaison run` or the chaos run starts a worker again after a crash, in an outage: rq's worker
    asks Redis for its name as it is made, and the process exited with 1."""
    own_redis.kill()
    worker = _start(tmp_path / "worker.log", "worker")
    try:
        _alive_through(worker, 8)
        own_redis.start(keep_data=True)
        accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
        assert accepted.status_code == 202
        [mail] = mailbox.wait_for(1, timeout=30)
        assert mail["X-Liaison-Ref"] == case.ref
    finally:
        _stop(worker)


def test_an_idle_worker_is_back_within_seconds_of_a_long_outage(
    client: TestClient, case: Case, mailbox: Mailbox, own_redis: OwnRedis, tmp_path: Path
) -> None:
    """rq's idle worker waits for Redis 1, 2, 4, 8, 16 ... s (to 60): after a 20 s outage it came back
    up to 11 s after Redis did, and every alert waited for it."""
    worker = _start(tmp_path / "worker.log", "worker")
    try:
        time.sleep(3)  # listening
        own_redis.kill()
        _alive_through(worker, 20)
        own_redis.start(keep_data=True)
        back = time.monotonic()
        accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
        assert accepted.status_code == 202
        [mail] = mailbox.wait_for(1, timeout=30)
        assert time.monotonic() - back < 6, (tmp_path / "worker.log").read_text()[-2000:]
        assert mail["X-Liaison-Ref"] == case.ref
    finally:
        _stop(worker)
