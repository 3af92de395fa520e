"""An alert that is still being retried counts as not reached after a while (chase_rules.still_failing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.enums import DeliveryStatus as D
from services.notifications.chase_rules import still_failing

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
AFTER = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("pending", "age", "channels", "expected"),
    [
        (True, 16, {D.retrying}, True),
        (True, 16, {D.retrying, D.failed}, True),
        (True, 16, {D.retrying, D.cancelled}, True),
        (True, 14, {D.retrying}, False),  # not for long enough yet
        (True, 16, {D.retrying, D.delivered}, False),  # one channel got through
        (True, 16, {D.retrying, D.pending}, False),  # one is on its first try
        (True, 16, {D.retrying, D.sending}, False),
        (True, 16, {D.failed}, False),  # given up: the chase's other rule
        (False, 16, {D.retrying}, False),  # delivered or acknowledged
    ],
)
def test_still_failing(pending: bool, age: int, channels: set[D], expected: bool) -> None:
    made = NOW - timedelta(minutes=age)
    assert still_failing(pending=pending, made_at=made, channels=channels, now=NOW, after=AFTER) is expected
