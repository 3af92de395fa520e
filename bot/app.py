"""Builds and runs the bot: long polling against TELEGRAM_API_BASE_URL, handlers by use case, flood control
by PTB's AIORateLimiter, and an error handler that logs without message text so one bad update never stops
the bot."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import alerts, checklist, chronology, discharge, link, outcomes, queries, transfer
from bot.client import ApiClient
from bot.common import BOT_DATA_KEY, BotConfig, Context
from bot.persistence import RedisPersistence
from schemas.settings import Settings

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("pending", "Your alerts not yet acknowledged"),
    BotCommand("case", "A summary of a young person: /case REF"),
    BotCommand("plan", "Discharge, care and safety plans: /plan REF"),
    BotCommand("appointments", "Record what happened at an appointment: /appointments REF"),
    BotCommand("assess", "Answer the needs assessment: /assess REF"),
    BotCommand("discharge", "Work the discharge plan's checklist and issue it: /discharge REF"),
    BotCommand("transfer", "Tick the transfer handover checklist: /transfer REF"),
    BotCommand("chronology", "The latest events: /chronology REF [N]"),
    BotCommand("help", "What I can do"),
]


class BotNotConfigured(RuntimeError):
    pass


async def on_error(update: object, context: Context) -> None:
    """Log what went wrong (its type and the update id), never the text of a message."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, RetryAfter | TimedOut | NetworkError):
        log.warning("telegram unavailable (update %s): %s", update_id, type(error).__name__)
    elif isinstance(error, Forbidden):
        log.warning("chat blocked the bot (update %s)", update_id)
    else:
        log.error("update %s failed: %s", update_id, type(error).__name__, exc_info=error)


def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    kept = application.persistence is not None  # PTB refuses a persistent conversation without one
    application.add_handlers(
        [
            checklist.conversation(persistent=kept),
            outcomes.conversation(persistent=kept),
            discharge.conversation(persistent=kept),
            transfer.conversation(persistent=kept),
            CommandHandler("start", link.start),
            CommandHandler("help", queries.help_command),
            CommandHandler("pending", queries.pending),
            CommandHandler("case", queries.case),
            CommandHandler("plan", queries.plan),
            CommandHandler("chronology", chronology.chronology),
            CallbackQueryHandler(chronology.older, pattern=chronology.PATTERN),
            CallbackQueryHandler(alerts.acknowledge, pattern=alerts.PATTERN),
            MessageHandler(filters.ALL, link.anything_else),
        ]
    )
    application.add_error_handler(on_error)


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    token = settings.telegram_bot_token
    key = settings.bot_key()
    if token is None:
        raise BotNotConfigured("TELEGRAM_BOT_TOKEN is not set")
    if key is None:
        raise BotNotConfigured("BOT_API_KEY is not set")
    api = ApiClient(base_url=settings.api_base_url(), bot_key=key)
    base = settings.telegram_api_base_url.rstrip("/")

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await application.bot.set_my_commands(COMMANDS)

    async def post_shutdown(_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await api.aclose()

    builder = ApplicationBuilder()
    if settings.redis_url:  # conversations survive a restart
        builder = builder.persistence(RedisPersistence.from_url(settings.redis_url))
    else:
        log.warning("REDIS_URL is not set: conversations are kept in this process only")
    application = (
        builder.token(token.get_secret_value())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=3))
        # On shutdown PTB cancels the long poll and calls getUpdates once more to confirm what it took. With
        # one pooled connection that call can wait on the cancelled one and fail with a pool timeout under
        # load (seen in CI); a second connection lets it go straight out.
        .get_updates_connection_pool_size(2)
        .get_updates_pool_timeout(5.0)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data[BOT_DATA_KEY] = BotConfig(
        api=api, chat_detail=settings.chat_detail, public_base_url=settings.public_base_url.rstrip("/")
    )
    add_handlers(application)
    return application


def run(settings: Settings) -> None:
    """Long-poll until SIGINT/SIGTERM."""
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = build_application(settings)
    log.info("bot polling %s, using the API at %s", settings.telegram_api_base_url, settings.api_base_url())
    application.run_polling(allowed_updates=["message", "callback_query"], drop_pending_updates=False)
