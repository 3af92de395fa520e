"""A retry budget measured in time, and the duty team told before an alert is given up (issue 14, 6): six
attempts spanned about five minutes, so a receiver down longer than that had its alerts failed for good,
and nobody above the recipient heard of it until then. Real SMTP, database, Redis and rq; time travel."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications.models import Delivery
from tests.integration.conftest import Case, Mailbox
from tests.integration.test_escalation import Ladder, _attend, _escalate, _mine, _to, ladder  # noqa: F401
from worker import jobs


def _delivery(delivery_id: int | None = None) -> Delivery:
    with session_scope() as session:
        if delivery_id is not None:
            return session.get_one(Delivery, delivery_id)
        return session.scalars(select(Delivery)).one()


def _due_now(delivery_id: int, *, made_hours_ago: float | None = None) -> None:
    values: dict[str, object] = {"next_attempt_at": utcnow() - timedelta(seconds=1)}
    if made_hours_ago is not None:
        values["created_at"] = utcnow() - timedelta(hours=made_hours_ago)
    with session_scope() as session:
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


def test_a_receiver_down_for_hours_still_gets_its_alert(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    mailbox.refuse = "451 4.3.0 try again later"
    _attend(client, case)
    first = _delivery()
    for _ in range(9):  # well past the six attempts that used to be all
        _due_now(first.id)
        assert jobs.deliver(first.id) == "retrying"
    assert (_delivery().status, _delivery().attempts) == ("retrying", 10)
    mailbox.refuse = None
    _due_now(first.id, made_hours_ago=5)
    assert jobs.deliver(first.id) == "delivered"
    assert len(mailbox.wait_for(1)) == 1


def test_a_channel_gives_up_only_when_its_time_budget_is_spent(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    mailbox.refuse = "451 4.3.0 try again later"
    _attend(client, case)
    first = _delivery()
    _due_now(first.id, made_hours_ago=24 - 5 / 3600)  # 5 s of budget left; the next wait is 20 s
    assert jobs.deliver(first.id) == "failed"  # its next try would fall after the 24 h budget
    assert _delivery().status == "failed"


def test_the_team_manager_and_duty_team_are_told_while_an_alert_is_still_being_retried(
    client: TestClient,
    case: Case,
    ladder: Ladder,  # noqa: F811
    mailbox: Mailbox,
) -> None:
    mailbox.refuse = "451 4.3.0 try again later"
    t0 = _attend(client, case)
    first = _delivery()
    assert first.status == "retrying"
    mailbox.refuse = None
    assert _escalate(t0 + timedelta(minutes=10)) == 0  # failing, but not for long yet
    assert _escalate(t0 + timedelta(minutes=16)) == 1
    assert sorted(_to(mailbox)) == ["duty@example.org", "mgr@example.org"]
    [alert] = _mine(client, case.social_worker, "attendance")
    assert [(s["step"], s["reason"]) for s in alert["escalation_steps"]] == [("team_manager", "unreachable")]
    assert _delivery(first.id).status == "retrying"  # and it is still being tried
