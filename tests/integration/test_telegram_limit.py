"""The shared Telegram send budget against real Redis, and what a deferred send looks like end to end
(a real Bot API stand-in on loopback, real rq workers, the real database)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import select, update

from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications.models import Delivery, DeliveryAttempt
from services.staff.models import User
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, _free_port, attendance, run_worker
from tests.integration.test_channels import Receiver, receiver  # noqa: F401 - the Bot API stand-in
from worker import jobs
from worker.channels.base import RateLimited
from worker.channels.ratelimit import PREFIX, TelegramRateLimiter

CHAT = 55501


def _limiter(redis_url: str, *, overall: int = 30, per_chat: int = 1) -> TelegramRateLimiter:
    # A client of its own, as another worker process would have.
    return TelegramRateLimiter(
        Redis.from_url(redis_url), overall_per_second=overall, per_chat_per_second=per_chat
    )


def _forget_budget(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    for key in redis.scan_iter(f"{PREFIX}*"):
        redis.delete(key)


def test_one_message_a_second_to_a_chat(redis_url: str) -> None:
    limiter = _limiter(redis_url)
    limiter.acquire("100")
    with pytest.raises(RateLimited) as raised:
        limiter.acquire("100")
    assert 0 < raised.value.retry_after <= 1.0  # type: ignore[operator]
    assert not raised.value.permanent
    limiter.acquire("200")  # another chat has its own budget


def test_the_overall_budget_covers_every_chat(redis_url: str) -> None:
    limiter = _limiter(redis_url, overall=3)
    for chat in ("1", "2", "3"):
        limiter.acquire(chat)
    with pytest.raises(RateLimited, match="all chats") as raised:
        limiter.acquire("4")
    assert 0 < raised.value.retry_after <= 1.0  # type: ignore[operator]


def test_the_budget_is_shared_with_another_process(redis_url: str) -> None:
    # The other process is started and has imported everything before it is told to send: the chat's
    # window is one second, and starting Python on a busy machine can take longer than that.
    code = (
        "import sys; from redis import Redis; from worker.channels.ratelimit import TelegramRateLimiter; "
        "limiter = TelegramRateLimiter(Redis.from_url(sys.argv[1]), overall_per_second=30, "
        "per_chat_per_second=1); print('ready', flush=True); sys.stdin.readline(); limiter.acquire('300'); "
        "print('sent', flush=True)"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", code, redis_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert other.stdin is not None and other.stdout is not None
    try:
        assert other.stdout.readline().strip() == "ready"
        ours = _limiter(redis_url)
        other.stdin.write("go\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "sent"
        with pytest.raises(RateLimited):
            ours.acquire("300")
    finally:
        other.stdin.close()
        assert other.wait(30) == 0


def test_without_redis_the_message_goes_anyway() -> None:
    limiter = TelegramRateLimiter(
        Redis.from_url(f"redis://127.0.0.1:{_free_port()}/0", socket_connect_timeout=1),
        overall_per_second=30,
        per_chat_per_second=1,
    )
    limiter.acquire("100")
    limiter.acquire("100")


def test_a_second_alert_to_the_same_chat_is_deferred_not_failed(
    client: TestClient,
    case: Case,
    receiver: Receiver,  # noqa: F811
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.body = json.dumps({"ok": True, "result": {"message_id": 1}}).encode()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret-token")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", receiver.url)
    _reset_settings()
    with session_scope() as session:
        session.execute(
            update(User).where(User.username == "jsmith").values(email=None, telegram_chat_id=CHAT)
        )
    for source_id in ("V0001", "V0002"):
        accepted = client.post(
            "/api/v1/attendances", json=attendance(source_id), headers=case.hospital.headers
        )
        assert accepted.status_code == 202
    run_worker()

    assert len(receiver.received) == 1
    with session_scope() as session:
        deliveries = list(session.scalars(select(Delivery).order_by(Delivery.id)))
        assert [(d.status, d.attempts) for d in deliveries] == [("delivered", 1), ("retrying", 0)]
        deferred = deliveries[1]
        assert deferred.last_error == "deferred: Telegram rate limit: one chat"
        assert deferred.next_attempt_at is not None
        assert deferred.next_attempt_at <= utcnow() + timedelta(seconds=1)
        attempts = session.scalars(select(DeliveryAttempt.delivery_id)).all()
        assert attempts == [deliveries[0].id]  # the deferral is no attempt: nothing reached Telegram

    # A second later (time travel: the window is forgotten and the retry is due) it goes.
    _forget_budget(redis_url)
    with session_scope() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == deferred.id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    assert jobs.deliver(deferred.id) == "delivered"
    assert len(receiver.received) == 2
    with session_scope() as session:
        again = session.get_one(Delivery, deferred.id)
        assert (again.status, again.attempts, again.last_error) == ("delivered", 1, None)


def test_a_telegram_reminder_acknowledges_the_original_alert(
    client: TestClient,
    case: Case,
    receiver: Receiver,  # noqa: F811
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.body = json.dumps({"ok": True, "result": {"message_id": 1}}).encode()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret-token")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", receiver.url)
    _reset_settings()
    with session_scope() as session:
        session.execute(
            update(User).where(User.username == "jsmith").values(email=None, telegram_chat_id=CHAT)
        )
    start = utcnow()
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    run_worker()
    _forget_budget(redis_url)  # the reminder comes half an hour later, not within the same second
    assert jobs.escalate(now=start + timedelta(minutes=31)) == 1
    run_worker()

    forms = [{k: v[0] for k, v in parse_qs(r.body.decode()).items()} for r in receiver.received]
    assert len(forms) == 2
    listed = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    [alert] = [n for n in listed if n["kind"] == "attendance"]
    buttons = [json.loads(f["reply_markup"])["inline_keyboard"][0][0]["callback_data"] for f in forms]
    assert buttons == [f"ack:{alert['id']}", f"ack:{alert['id']}"]
    assert forms[1]["text"].startswith(f"Reminder - acute hospital attendance: {case.ref}")
    assert "Alex" not in forms[1]["text"] and "9990000018" not in forms[1]["text"]
