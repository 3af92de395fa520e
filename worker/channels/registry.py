"""Which transport serves which channel. Tests put recording fakes in `overrides`."""

from __future__ import annotations

from schemas.enums import Channel
from schemas.settings import Settings
from services.redis_conn import get_redis
from worker.channels.base import Transport, TransportError
from worker.channels.email import SmtpTransport
from worker.channels.ratelimit import TelegramRateLimiter
from worker.channels.telegram import TelegramTransport
from worker.channels.webhook import WebhookTransport

overrides: dict[Channel, Transport] = {}


class _Unconfigured:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def send(self, *, address: str, message: object) -> None:
        raise TransportError(self.reason, permanent=True)


def transport_for(channel: Channel, settings: Settings) -> Transport:
    if channel in overrides:
        return overrides[channel]
    match channel:
        case Channel.email:
            return SmtpTransport(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.email_from,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                starttls=settings.smtp_starttls,
                timeout=settings.smtp_timeout_seconds,
            )
        case Channel.webhook:
            return WebhookTransport(
                secret=settings.secret_key.get_secret_value(), timeout=settings.webhook_timeout_seconds
            )
        case Channel.telegram:
            if settings.telegram_bot_token is None:
                return _Unconfigured("TELEGRAM_BOT_TOKEN is not set on the worker")
            return TelegramTransport(
                token=settings.telegram_bot_token.get_secret_value(),
                base_url=settings.telegram_api_base_url,
                limiter=TelegramRateLimiter(
                    get_redis(),
                    overall_per_second=settings.telegram_max_per_second,
                    per_chat_per_second=settings.telegram_max_per_chat_per_second,
                ),
            )
