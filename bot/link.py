"""Linking a chat to a liaison account: `/start <link_code>`; anything from an unlinked chat is refused."""

from __future__ import annotations

from telegram import Update

from bot.client import ApiError, Missing, NotLinked
from bot.common import Context, chat_api, reply
from bot.formatting import NOT_LINKED, PRIVATE_ONLY

UNKNOWN_CODE = (
    "That link code is not known: it may be mistyped or already used. Ask your liaison administrator "
    "for a new one."
)
EXPIRED_CODE = "That link code has expired. Ask your liaison administrator for a new one."


async def start(update: Update, context: Context) -> None:
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
        return
    code = context.args[0] if context.args else None
    try:
        if code is None:
            me = await api.me()
            await reply(update, f"This chat is linked to {me.username}. /help lists the commands.")
            return
        linked = await api.link(code)
    except NotLinked:
        await reply(update, NOT_LINKED)
        return
    except Missing:
        await reply(update, UNKNOWN_CODE)
        return
    except ApiError as exc:
        await reply(update, EXPIRED_CODE if exc.status == 410 else exc.detail)
        return
    await reply(
        update,
        f"Linked: this chat now gets liaison alerts for {linked.username}. /help lists the commands.",
    )


async def anything_else(update: Update, context: Context) -> None:
    """Any message no other handler took: a refusal for an unlinked chat, else a pointer to /help."""
    api = chat_api(update, context)
    if api is None:
        await reply(update, PRIVATE_ONLY)
        return
    try:
        await api.me()
    except NotLinked:
        await reply(update, NOT_LINKED)
        return
    await reply(update, "I did not understand that. /help lists the commands.")
