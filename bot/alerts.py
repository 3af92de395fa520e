"""The Acknowledge button under an alert (callback data `ack:<notification_id>`, set by the worker)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.client import ApiError, Missing, NotLinked, Refused
from bot.common import Context, chat_api
from bot.formatting import NOT_LINKED, PRIVATE_ONLY, acknowledged_text

log = logging.getLogger(__name__)
PATTERN = r"^ack:\d{1,18}$"


async def acknowledge(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    api = chat_api(update, context)
    if api is None:
        await query.answer(PRIVATE_ONLY, show_alert=True)
        return
    notification_id = int(query.data.split(":", 1)[1])
    try:
        notification = await api.acknowledge(notification_id)
    except NotLinked:
        await query.answer(NOT_LINKED, show_alert=True)
        return
    except Refused:
        await query.answer("You cannot acknowledge this alert: it was not sent to you.", show_alert=True)
        return
    except Missing:
        await query.answer("This alert no longer exists.", show_alert=True)
        return
    except ApiError as exc:
        await query.answer(exc.detail[:190], show_alert=True)
        return
    await query.answer("Acknowledged.")
    try:
        await query.edit_message_text(acknowledged_text(notification), reply_markup=None)
    except BadRequest as exc:
        # A repeat press edits to the same text ("message is not modified"); an old message may be gone.
        log.info("alert message not edited: %s", type(exc).__name__)
