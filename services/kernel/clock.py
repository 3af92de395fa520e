"""The one source of "now", so time-dependent rules can be tested with an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def utc_minute(moment: datetime) -> str:
    """`moment` as people read it in a record, to the minute: '2027-06-15 08:30 UTC'. Converted first: a
    time from an HL7 message is UK local time, and printing its clock reading with a UTC label was wrong
    by an hour all summer."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
