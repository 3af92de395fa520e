"""A recording transport for unit tests: keeps every send, or raises the errors it is told to."""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.channels.base import TransportError
from worker.messages import AlertMessage


@dataclass
class RecordingTransport:
    sent: list[tuple[str, AlertMessage]] = field(default_factory=list)
    failures: list[TransportError] = field(default_factory=list)

    def send(self, *, address: str, message: AlertMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((address, message))
