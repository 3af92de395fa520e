"""`liaison worker` with WORKER_PROCESSES=2: two rq workers (rq's WorkerPool, each forking a work horse per
job) drain the queue between them, every alert once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.kernel.db import session_scope
from services.notifications.models import Delivery
from tests.integration.conftest import Case, Mailbox, attendance

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_two_worker_processes_deliver_every_alert_once(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    for n in range(6):
        accepted = client.post("/api/v1/attendances", json=attendance(f"V{n}"), headers=case.hospital.headers)
        assert accepted.status_code == 202

    finished = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "runtime.cli", "worker", "--burst"],
        env={**os.environ, "WORKER_PROCESSES": "2", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    log = finished.stdout + finished.stderr
    assert finished.returncode == 0, log[-2000:]
    assert "Starting worker pool" in log
    assert len(set(re.findall(r"Worker (\w+): started with PID", log))) == 2
    assert len(mailbox.wait_for(6)) == 6
    assert sorted(m["X-Liaison-Ref"] for m in mailbox.messages) == [case.ref] * 6
    with session_scope() as session:
        rows = session.execute(select(Delivery.status, Delivery.attempts)).all()
    assert sorted(tuple(r) for r in rows) == [("delivered", 1)] * 6
