"""The shared Telegram send budget against real Redis, and what a deferred send looks like end to end
(a real Bot API stand-in on loopback, real rq workers, the real database)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from limits import RateLimitItemPerMinute
from redis import Redis
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.redis_conn import get_redis
from services.notifications.dispatch import QUEUE
from services.notifications.models import Delivery, DeliveryAttempt
from services.staff.models import User
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, _free_port, attendance, run_worker
from tests.integration.test_channels import Receiver, receiver  # noqa: F401 - the Bot API stand-in
from tests.integration.test_worker_death import _start, _stop
from worker import jobs
from worker.channels import ratelimit, registry
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
    # The window is a minute here, not a second: on a loaded machine the two jobs can start more than a
    # second apart, and the second must still fall inside the chat's window. The rule is the same.
    monkeypatch.setattr(ratelimit, "RateLimitItemPerSecond", RateLimitItemPerMinute)
    monkeypatch.setattr(registry, "_kept", {})
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
        assert utcnow() < deferred.next_attempt_at <= utcnow() + timedelta(seconds=60)  # as the window says
        attempts = session.scalars(select(DeliveryAttempt.delivery_id)).all()
        assert attempts == [deliveries[0].id]  # the deferral is no attempt: nothing reached Telegram

    # When the window has passed (time travel: the window is forgotten and the retry is due) it goes.
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


def test_alerts_to_one_chat_within_a_second_each_go_when_the_limiter_says(
    client: TestClient,
    case: Case,
    receiver: Receiver,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A real `liaison worker` and `liaison scheduler` (which moves due retries into the queue) whose sweep
    never comes round again: every deferred alert must be re-queued for the moment the limiter names and
    then be sent, one a second, not left for the sweeper. rq's scheduler counts in whole seconds, so a
    deferral of a fraction of one used to be moved to the queue before it was due, found "nothing to do"
    and then waited for the sweeper (30-60 s)."""
    receiver.body = json.dumps({"ok": True, "result": {"message_id": 1}}).encode()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret-token")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", receiver.url)
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "600")
    _reset_settings()
    with session_scope() as session:
        session.execute(
            update(User).where(User.username == "jsmith").values(email=None, telegram_chat_id=CHAT)
        )
    for n in range(4):
        accepted = client.post("/api/v1/attendances", json=attendance(f"V{n}"), headers=case.hospital.headers)
        assert accepted.status_code == 202
    worker = _start(tmp_path / "worker.log", "worker")
    scheduler = _start(tmp_path / "scheduler.log", "scheduler")
    arrivals: list[float] = []
    try:
        deadline = time.monotonic() + 60
        while len(arrivals) < 4 and time.monotonic() < deadline:
            if len(receiver.received) > len(arrivals):
                arrivals.append(time.monotonic())
            time.sleep(0.02)
    finally:
        _stop(worker)
        _stop(scheduler)
    log = (tmp_path / "worker.log").read_text()
    assert len(receiver.received) == 4, log[-3000:]
    # One a second, and rq's scheduler moves a job in the second after it is due (whole seconds): never
    # the 30 s and more of the lease and the sweeper.
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert max(gaps) < 3.5, (gaps, log[-3000:])
    assert "nothing to do" not in log
    with session_scope() as session:
        rows = session.execute(select(Delivery.status, Delivery.attempts)).all()
    assert sorted(tuple(r) for r in rows) == [("delivered", 1)] * 4


def test_a_job_that_comes_before_its_delivery_is_due_queues_it_again_for_then(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    due = utcnow() + timedelta(seconds=30)
    with session_scope() as session:
        [delivery_id] = session.scalars(select(Delivery.id)).all()
        session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(status="retrying", next_attempt_at=due)
        )
    assert jobs.deliver(delivery_id) == "skipped"  # a clock behind, or a scheduler that rounds down
    [scheduled] = ScheduledJobRegistry(QUEUE, connection=get_redis()).get_job_ids()
    at = ScheduledJobRegistry(QUEUE, connection=get_redis()).get_scheduled_time(scheduled)
    assert due <= at < due + timedelta(seconds=1)
    assert mailbox.messages == []
