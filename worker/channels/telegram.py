"""Telegram alerts through the Bot API, with a button whose press acknowledges the alert.

A plain synchronous HTTP client (rq jobs are synchronous); the bot process handles the button press.
"""

from __future__ import annotations

import json

import httpx

from worker.channels.base import TransportError
from worker.channels.ratelimit import TelegramRateLimiter
from worker.messages import AlertMessage

PERMANENT_DESCRIPTIONS = (
    "bot was blocked by the user",
    "user is deactivated",
    "chat not found",
    "bot was kicked",
    "bot can't initiate conversation",
)
TEXT_LIMIT = 4096


def acknowledge_callback(notification_id: int) -> str:
    """Callback data for the Acknowledge button (well under Telegram's 64 bytes)."""
    return f"ack:{notification_id}"


def alert_text(message: AlertMessage) -> str:
    if message.kind != "attendance":
        return message.text[:TEXT_LIMIT]
    return (
        f"Acute attendance: {message.young_person_ref}\n"
        "A young person on your caseload has attended an acute hospital setting. "
        "Please acknowledge, then review the plan in liaison."
    )[:TEXT_LIMIT]


class TelegramTransport:
    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        limiter: TelegramRateLimiter | None = None,
    ):
        self.url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        self.client = client or httpx.Client(timeout=timeout)
        self.limiter = limiter

    def send(self, *, address: str, message: AlertMessage) -> None:
        if self.limiter is not None:
            self.limiter.acquire(address)  # raises RateLimited: the delivery is deferred, not failed
        keyboard = {
            "inline_keyboard": [
                [{"text": "Acknowledge", "callback_data": acknowledge_callback(message.acknowledge_id)}]
            ]
        }
        payload = {
            "chat_id": address,
            "text": alert_text(message),
            "protect_content": "true",
            "reply_markup": json.dumps(keyboard),
        }
        try:
            response = self.client.post(self.url, data=payload)
        except httpx.HTTPError as exc:
            raise TransportError(f"Telegram unreachable: {type(exc).__name__}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.is_success and answer.get("ok"):
            return
        description = str(answer.get("description", f"HTTP {response.status_code}"))
        parameters = answer.get("parameters") or {}
        retry_after = parameters.get("retry_after")
        if response.status_code == 429 or retry_after is not None:
            raise TransportError(
                f"Telegram flood control: {description}", retry_after=float(retry_after or 1)
            )
        permanent = response.status_code in (400, 401, 403, 404) and (
            response.status_code in (401, 403, 404)
            or any(p in description.lower() for p in PERMANENT_DESCRIPTIONS)
        )
        raise TransportError(f"Telegram: {description}", permanent=permanent)
