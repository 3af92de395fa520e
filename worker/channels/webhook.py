"""Webhooks: a signed JSON POST to a URL the recipient's system gives us."""

from __future__ import annotations

import json
import time

import httpx

from services.kernel.security import sign
from worker.channels.base import TransportError
from worker.channels.destinations import DestinationSlots
from worker.messages import AlertMessage

SIGNATURE_HEADER = "X-Liaison-Signature"


def body_for(message: AlertMessage) -> bytes:
    """The ref, the ids, the API's acknowledge endpoint (for a system with a token) and, when the message
    has one, the recipient's signed Acknowledge page (`acknowledge_link`: opens without a token)."""
    body: dict[str, object] = {
        "type": f"{message.kind}.alert",
        "notification_id": message.notification_id,
        "young_person_ref": message.young_person_ref,
        "acknowledge_url": message.acknowledge_url,
    }
    if message.acknowledge_link is not None:
        body["acknowledge_link"] = message.acknowledge_link
    return json.dumps(
        body,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">`: receivers check it and reject old timestamps."""
    return f"t={timestamp},v1={sign(secret, timestamp + '.' + body.decode())}"


class WebhookTransport:
    def __init__(
        self,
        *,
        secret: str,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        slots: DestinationSlots | None = None,
    ) -> None:
        self.secret = secret
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self.slots = slots

    def send(self, *, address: str, message: AlertMessage) -> None:
        if self.slots is None:
            self._send(address=address, message=message)
            return
        with self.slots.slot(address):  # or RateLimited: this receiver has its share in flight
            self._send(address=address, message=message)

    def _send(self, *, address: str, message: AlertMessage) -> None:
        body = body_for(message)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": f"liaison-notification-{message.notification_id}",
            SIGNATURE_HEADER: signature(self.secret, timestamp, body),
        }
        try:
            response = self.client.post(address, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"webhook unreachable: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return
        retry_after = _retry_after(response.headers.get("Retry-After"))
        transient = response.status_code in (408, 425, 429) or response.status_code >= 500
        raise TransportError(
            f"webhook answered HTTP {response.status_code}", permanent=not transient, retry_after=retry_after
        )


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
