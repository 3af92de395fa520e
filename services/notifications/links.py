"""Signed, expiring Acknowledge links: one recipient, one notification (what an alert email and a webhook
carry, so that the alert can be acknowledged from a mail client without a token or a sign-in).

The link names the notification and its recipient by id, with when it stops working, signed with
SECRET_KEY: `<notification>.<recipient>.<expires, unix>.<signature>`. It holds nothing about the young
person. Opening it never acknowledges (mail scanners prefetch links): the page it opens has a button."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.kernel.security import sign

SIGNATURE_CHARS = 32


@dataclass(frozen=True)
class AckLink:
    notification_id: int
    recipient_id: int
    expires_at: datetime


class LinkRefused(ValueError):
    """A link that does not open: `why` is "invalid" (tampered, mistyped, another key) or "expired"."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _signature(key: str, notification_id: int, recipient_id: int, expires: int) -> str:
    return sign(key, f"ack:{notification_id}:{recipient_id}:{expires}")[:SIGNATURE_CHARS]


def make(*, key: str, notification_id: int, recipient_id: int, now: datetime, life: timedelta) -> str:
    expires = int((now + life).timestamp())
    signature = _signature(key, notification_id, recipient_id, expires)
    return f"{notification_id}.{recipient_id}.{expires}.{signature}"


def url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/alerts/acknowledge/{token}"


def check(*, key: str, token: str, now: datetime) -> AckLink:
    """The link's notification and recipient, or LinkRefused. The signature is checked before the expiry,
    so a changed expiry reads as tampered, not as expired."""
    parts = token.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]) or len(parts[0] + parts[1]) > 36:
        raise LinkRefused("invalid")
    notification_id, recipient_id, expires = (int(p) for p in parts[:3])
    if not hmac.compare_digest(_signature(key, notification_id, recipient_id, expires), parts[3]):
        raise LinkRefused("invalid")
    expires_at = datetime.fromtimestamp(min(expires, 253_402_300_799), UTC)
    if expires_at <= now:
        raise LinkRefused("expired")
    return AckLink(notification_id, recipient_id, expires_at)
