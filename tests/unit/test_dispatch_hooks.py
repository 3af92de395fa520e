"""Deliveries are queued on commit by session hooks in `services.notifications.dispatch`. Every process that
can make a delivery must have them: a process that imported only what makes notifications (the MLLP
listener, the worker) once lost them when an import was tidied away, and its alerts waited for the
sweeper. Each case starts a fresh interpreter so nothing imported by the test run itself can hide it."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
from sqlalchemy import event
from sqlalchemy.orm import Session
import {module}
dispatch = sys.modules.get("services.notifications.dispatch")
assert dispatch is not None, "dispatch was never imported"
assert event.contains(Session, "after_commit", dispatch._queue_made), "no after-commit hook"
assert event.contains(Session, "after_rollback", dispatch._forget_made), "no after-rollback hook"
"""


@pytest.mark.parametrize(
    "module",
    [
        "services.notifications.service",  # the one maker of notifications and deliveries
        "services.api.mllp",  # `liaison mllp`, a process of its own
        "services.intake.service",
        "worker.jobs",
    ],
)
def test_whatever_makes_deliveries_queues_them_on_commit(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(module=module)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
