"""No secret reaches a log (issue 13, item 2). The Bot API puts the bot's token in every URL
(`/bot<token>/sendMessage`) and httpx logs each request's URL at INFO, so a real `liaison worker` that sent
Telegram alerts to a Bot API stand-in wrote the token into its log. A webhook URL can carry a secret in
its path too (many webhook services authenticate that way)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from schemas.enums import Role
from services.kernel.db import session_scope
from services.notifications.models import Delivery
from services.staff.models import User
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, World, attendance
from tests.integration.test_channels import Receiver, receiver  # noqa: F401 - the Bot API stand-in
from tests.integration.test_worker_death import _start, _stop

pytestmark = pytest.mark.integration

TOKEN = "7012345678:AAHk-3x_Q9ZlN2mP8rT4vW6yB1cD5eF7gH0"  # noqa: S105 - a made-up token of the real shape
HOOK_SECRET = "T0PSECRETb1Xq9ZlN2mP8rT4vW6yB"
CHAT = 55601


def _wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_real_worker_never_logs_the_bot_token_or_a_webhook_secret(
    client: TestClient,
    case: Case,
    world: World,
    receiver: Receiver,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    receiver.body = json.dumps({"ok": True, "result": {"message_id": 1}}).encode()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", receiver.url)
    _reset_settings()
    with session_scope() as session:
        session.execute(
            update(User).where(User.username == "jsmith").values(email=None, telegram_chat_id=CHAT)
        )
    world.user("gp", role=Role.clinician, team="RBT-LIA", webhook=f"{receiver.url}/hooks/{HOOK_SECRET}")
    added = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "gp", "role": "gp"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202, accepted.text

    log_path = tmp_path / "worker.log"
    worker = _start(log_path, "worker")
    try:
        delivered = _wait_for(lambda: len(receiver.received) >= 2)
    finally:
        _stop(worker)
    log = log_path.read_text(errors="replace")
    assert delivered, log[-3000:]
    paths = sorted(r.path for r in receiver.received)
    assert paths == [f"/bot{TOKEN}/sendMessage", f"/hooks/{HOOK_SECRET}"]  # the stand-in saw both secrets
    with session_scope() as session:
        assert set(session.scalars(select(Delivery.status))) == {"delivered"}
    assert "deliver" in log  # the worker did log its work: the log is not empty by accident
    assert TOKEN not in log and TOKEN.split(":", 1)[1] not in log, log[-3000:]
    assert HOOK_SECRET not in log, log[-3000:]
