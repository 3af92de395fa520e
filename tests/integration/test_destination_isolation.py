"""One slow webhook receiver must not stall everyone else's alerts (issue 14, 5): with two workers and a
receiver that takes 4 s to answer, its alerts used to take both workers in turn while the other receiver's
alerts waited behind them. Real `liaison worker` and `liaison scheduler` processes, two real HTTP servers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from schemas.enums import Role
from services.kernel.db import session_scope
from services.notifications.models import Delivery
from services.staff.models import User
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, World, attendance
from tests.integration.test_worker_death import _start, _stop

pytestmark = pytest.mark.integration

SLOW_SECONDS = 4.0
ATTENDANCES = 4


@dataclass
class Timed:
    url: str = ""
    delay: float = 0.0
    arrivals: list[float] = field(default_factory=list)


def _serve(delay: float) -> Iterator[Timed]:
    state = Timed(delay=delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(state.delay)
            state.arrivals.append(time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def slow() -> Iterator[Timed]:
    yield from _serve(SLOW_SECONDS)


@pytest.fixture
def fast() -> Iterator[Timed]:
    yield from _serve(0.0)


def test_a_slow_receiver_does_not_hold_up_another_receivers_alerts(
    client: TestClient,
    case: Case,
    world: World,
    slow: Timed,
    fast: Timed,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("WORKER_PROCESSES", "2")
    monkeypatch.setenv("WEBHOOK_MAX_IN_FLIGHT_PER_RECEIVER", "1")
    _reset_settings()
    with session_scope() as session:  # jsmith's system is the slow one
        session.execute(
            update(User).where(User.username == "jsmith").values(email=None, webhook_url=slow.url)
        )
    world.user("camhs", role=Role.clinician, team="CEC-CSC", webhook=fast.url)
    added = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "camhs", "role": "camhs"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    for n in range(ATTENDANCES):  # each alerts jsmith (slow) first, then camhs (fast)
        accepted = client.post("/api/v1/attendances", json=attendance(f"V{n}"), headers=case.hospital.headers)
        assert accepted.status_code == 202
    scheduler = _start(tmp_path / "scheduler.log", "scheduler")
    worker = _start(tmp_path / "worker.log", "worker")
    try:
        deadline = time.monotonic() + 60
        while len(fast.arrivals) < ATTENDANCES and time.monotonic() < deadline:
            time.sleep(0.05)
        first = (fast.arrivals or [0.0])[0]
        fast_spread = (fast.arrivals[-1] - first) if fast.arrivals else float("inf")
        while len(slow.arrivals) < ATTENDANCES and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        _stop(worker)
        _stop(scheduler)
    log = (tmp_path / "worker.log").read_text()
    assert len(fast.arrivals) == ATTENDANCES, log[-3000:]
    # Without isolation both workers took the slow receiver's alerts in turn: the fast receiver's last
    # alert came about (ATTENDANCES - 1) / 2 * 4 s = 6 s after its first. With it, one worker waits on the
    # slow receiver and the other sends the rest at once.
    assert fast_spread < SLOW_SECONDS, (fast_spread, log[-3000:])
    assert len(slow.arrivals) == ATTENDANCES, log[-3000:]  # the slow receiver's alerts all went, one by one
    with session_scope() as session:
        rows = session.execute(select(Delivery.status, Delivery.attempts)).all()
    assert sorted(tuple(r) for r in rows) == [("delivered", 1)] * ATTENDANCES * 2
