"""The one interface every outside channel implements, and its error."""

from __future__ import annotations

from typing import Protocol

from worker.messages import AlertMessage


class TransportError(Exception):
    """A send that did not succeed. `permanent` errors (a bounced address, a blocked bot) are not retried;
    `retry_after` carries a server's request to wait (HTTP 429, Telegram flood control)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class RateLimited(TransportError):
    """Not sent because our own budget for the channel is spent: the send waits `retry_after` seconds and
    is tried again, without counting as an attempt (nothing reached the outside)."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, permanent=False, retry_after=retry_after)


class Transport(Protocol):
    def send(self, *, address: str, message: AlertMessage) -> None:
        """Deliver or raise TransportError."""
