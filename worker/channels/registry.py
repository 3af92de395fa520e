"""Which transport serves which channel. Tests put recording fakes in `overrides`.

The HTTP transports (webhook, Telegram) are kept for the life of the process: building an httpx client
loads the CA bundle (about 100 ms on two shared cores) and a kept one also keeps its connections, so a
worker that runs many jobs (WORKER_MODE=simple) pays for the client and the TLS handshake once, not per
delivery. A forked process starts without them: it must not share its parent's sockets."""

from __future__ import annotations

import os

from redis import Redis

from schemas.enums import Channel
from schemas.settings import Settings
from services.kernel.redis_conn import get_redis
from worker.channels.base import Transport, TransportError
from worker.channels.destinations import DestinationSlots
from worker.channels.email import SmtpTransport
from worker.channels.ratelimit import TelegramRateLimiter
from worker.channels.telegram import TelegramTransport
from worker.channels.webhook import WebhookTransport

overrides: dict[Channel, Transport] = {}
_kept: dict[tuple[object, ...], Transport] = {}
os.register_at_fork(after_in_child=_kept.clear)


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
            if settings.worker_mode == "fork":  # one job a process: nothing to keep, QUIT after each
                return _smtp(settings, keep_connection=False)
            key: tuple[object, ...] = (channel, settings.smtp_host, settings.smtp_port, settings.email_from)
            key += (settings.smtp_username, settings.smtp_password, settings.smtp_starttls)
            key += (settings.smtp_timeout_seconds,)
            if key not in _kept:
                _kept[key] = _smtp(settings, keep_connection=True)
            return _kept[key]
        case Channel.webhook:
            secret = settings.secret_key.get_secret_value()
            timeout = settings.webhook_timeout_seconds
            share = settings.webhook_max_in_flight_per_receiver
            key = (channel, secret, timeout, settings.redis_url, share)
            if key not in _kept:
                # The share is counted in the Redis these settings name (none: a worker always has one;
                # a transport built without, as in unit tests, sends without counting).
                slots = None
                if settings.redis_url:
                    redis = Redis.from_url(settings.redis_url)
                    slots = DestinationSlots(redis, limit=share, hold_seconds=timeout * 3 + 5)
                _kept[key] = WebhookTransport(secret=secret, timeout=timeout, slots=slots)
            return _kept[key]
        case Channel.telegram:
            if settings.telegram_bot_token is None:
                return _Unconfigured("TELEGRAM_BOT_TOKEN is not set on the worker")
            token = settings.telegram_bot_token.get_secret_value()
            key = (
                channel,
                token,
                settings.telegram_api_base_url,
                settings.redis_url,
                settings.telegram_max_per_second,
                settings.telegram_max_per_chat_per_second,
            )
            if key not in _kept:
                _kept[key] = TelegramTransport(
                    token=token,
                    base_url=settings.telegram_api_base_url,
                    limiter=TelegramRateLimiter(
                        get_redis(),
                        overall_per_second=settings.telegram_max_per_second,
                        per_chat_per_second=settings.telegram_max_per_chat_per_second,
                    ),
                )
            return _kept[key]


def _smtp(settings: Settings, *, keep_connection: bool) -> SmtpTransport:
    return SmtpTransport(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.email_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
        keep_connection=keep_connection,
    )
