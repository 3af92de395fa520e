"""WORKER_MODE=simple runs jobs in the worker's own process, so rq's per-job work horse no longer isolates
a crash or enforces the timeout from outside. What stands in for it: a real worker killed with SIGKILL in
the middle of sending has its alert re-driven by the sweeper once the claim's lease runs out, and the
recipient gets it once; a job over DELIVERY_JOB_TIMEOUT_SECONDS is interrupted and the worker goes on."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from rq import Worker
from sqlalchemy import select

from services.kernel.chronology.models import ChronologyEntry
from services.kernel.db import session_scope
from services.kernel.redis_conn import get_redis
from services.notifications.models import Delivery, DeliveryAttempt
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, _free_port, attendance, run_worker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
JOB_TIMEOUT = 8  # long enough that the kill, not the timeout, ends the first attempt on a busy machine
LEASE = 9
SWEEP = 5  # the smallest SWEEP_INTERVAL_SECONDS allowed
# the first send hangs past this; the second, an ordinary send, must fit in it on a loaded CI machine
SLOW_JOB_TIMEOUT = 4


class HoldingMailbox(Mailbox):
    """Holds the first message's DATA unanswered for `hold_seconds` (a slow relay), then answers 451 and
    keeps nothing: that copy never reached anyone."""

    def __init__(self, hold_seconds: float) -> None:
        super().__init__()
        self.hold_seconds = hold_seconds
        self.holding_since: float | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        if self.holding_since is None:
            self.holding_since = time.monotonic()
            await asyncio.sleep(self.hold_seconds)
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)

    def wait_until_holding(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.holding_since is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.holding_since is not None, "no worker started sending"


def _holding(monkeypatch: pytest.MonkeyPatch, hold_seconds: float) -> Iterator[HoldingMailbox]:
    box = HoldingMailbox(hold_seconds)
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


@pytest.fixture
def slow_relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[HoldingMailbox]:
    yield from _holding(monkeypatch, hold_seconds=60)


@pytest.fixture
def slower_than_the_job(monkeypatch: pytest.MonkeyPatch) -> Iterator[HoldingMailbox]:
    yield from _holding(monkeypatch, hold_seconds=SLOW_JOB_TIMEOUT + 6)


def _start(log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`liaison ARGS` in a process group of its own (rq's scheduler and the pool's workers included)."""
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "runtime.cli", *args],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    try:  # anything left in the group (a pool worker orphaned by the kill)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _delivering_worker(timeout: float = 10.0) -> Worker:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in Worker.all(connection=get_redis()):
            if (worker.get_current_job_id() or "").startswith("deliver-"):
                return worker
        time.sleep(0.05)
    raise AssertionError("no rq worker reports a delivery in hand")


def test_a_worker_killed_mid_send_has_its_alert_sent_again_once_within_the_lease(
    client: TestClient,
    case: Case,
    slow_relay: HoldingMailbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("WORKER_MODE", "simple")
    monkeypatch.setenv("WORKER_PROCESSES", "2")
    monkeypatch.setenv("DELIVERY_JOB_TIMEOUT_SECONDS", str(JOB_TIMEOUT))
    monkeypatch.setenv("DELIVERY_LEASE_SECONDS", str(LEASE))
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", str(SWEEP))
    _reset_settings()
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202
    pool = _start(tmp_path / "worker.log", "worker")
    scheduler: subprocess.Popen[bytes] | None = None
    try:
        slow_relay.wait_until_holding()
        os.kill(_delivering_worker().pid, signal.SIGKILL)  # mid-send: the relay has the DATA, no answer yet
        killed_at = time.monotonic()
        scheduler = _start(tmp_path / "scheduler.log", "scheduler")  # the sweeper
        with session_scope() as session:
            assert tuple(session.execute(select(Delivery.status, Delivery.attempts)).one()) == ("sending", 1)

        [mail] = slow_relay.wait_for(1, timeout=LEASE + SWEEP + 20)
        arrived_after = time.monotonic() - killed_at
    finally:
        _stop(pool)
        if scheduler is not None:
            _stop(scheduler)
    log = (tmp_path / "worker.log").read_text()
    swept = (tmp_path / "scheduler.log").read_text()  # the sweep runs in `liaison scheduler`

    assert mail["X-Liaison-Ref"] == case.ref, log[-3000:]
    assert arrived_after <= LEASE + SWEEP + 10, arrived_after  # lease, the next sweep, the queue
    assert len(slow_relay.messages) == 1  # the killed attempt's copy was never accepted: one alert
    assert "sweeper re-drove 1 of 1 overdue deliveries" in swept, swept[-3000:]
    with session_scope() as session:
        assert tuple(session.execute(select(Delivery.status, Delivery.attempts)).one()) == ("delivered", 2)
        attempts = session.execute(
            select(DeliveryAttempt.attempt, DeliveryAttempt.outcome).order_by(DeliveryAttempt.attempt)
        ).all()
        assert [tuple(a) for a in attempts] == [(1, "lost"), (2, "delivered")]
        delivered = session.scalars(
            select(ChronologyEntry.kind).where(ChronologyEntry.kind == "notification_delivered")
        ).all()
        assert len(delivered) == 1


def test_a_job_over_its_timeout_is_interrupted_and_the_worker_goes_on(
    client: TestClient, case: Case, slower_than_the_job: HoldingMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_JOB_TIMEOUT_SECONDS", str(SLOW_JOB_TIMEOUT))
    _reset_settings()
    for source_id in ("V1", "V2"):
        accepted = client.post(
            "/api/v1/attendances", json=attendance(source_id), headers=case.hospital.headers
        )
        assert accepted.status_code == 202

    run_worker()  # rq's SimpleWorker in this process: the first send hangs past the job's timeout

    assert len(slower_than_the_job.messages) == 1  # the second alert went on the same worker
    with session_scope() as session:
        rows = session.execute(select(Delivery.status, Delivery.last_error).order_by(Delivery.id)).all()
    (first, first_error), second = rows[0], tuple(rows[1])
    assert first == "retrying"
    assert "JobTimeoutException" in (first_error or ""), first_error
    assert second == ("delivered", None)
