"""A long-lived worker (WORKER_MODE=simple) sends its alerts over one SMTP session, and opens a new one
when the relay has dropped it, without losing or doubling an alert."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, _free_port, attendance, run_worker

pytestmark = pytest.mark.integration


class SessionMailbox(Mailbox):
    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[int] = []  # the SMTP session each message came over

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.sessions.append(id(session))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SessionMailbox, Controller]]:
    box = SessionMailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(controller.port))
    _reset_settings()
    try:
        yield box, controller
    finally:
        if controller.loop.is_running():
            controller.stop()


def _alert(client: TestClient, case: Case, source_id: str) -> None:
    accepted = client.post("/api/v1/attendances", json=attendance(source_id), headers=case.hospital.headers)
    assert accepted.status_code == 202


def test_one_session_carries_many_alerts_and_a_dropped_one_is_replaced(
    client: TestClient, case: Case, relay: tuple[SessionMailbox, Controller]
) -> None:
    box, controller = relay
    for n in range(3):
        _alert(client, case, f"V{n}")
    run_worker()
    assert len(box.wait_for(3)) == 3
    assert len(set(box.sessions)) == 1

    controller.stop()  # the relay restarts: the kept session is gone
    restarted = Controller(box, hostname="127.0.0.1", port=controller.port)
    restarted.start()
    try:
        _alert(client, case, "V3")
        run_worker()
    finally:
        restarted.stop()

    assert len(box.wait_for(4)) == 4
    assert len(set(box.sessions)) == 2
    assert [m["X-Liaison-Ref"] for m in box.messages] == [case.ref] * 4
