"""What every handler shares: the API client for the update's chat, the chat-detail setting, replies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler

from bot.client import ApiClient, ChatApi
from bot.formatting import ChatDetail

Context = ContextTypes.DEFAULT_TYPE
BOT_DATA_KEY = "liaison"


@dataclass(frozen=True)
class BotConfig:
    api: ApiClient
    chat_detail: ChatDetail
    public_base_url: str = ""  # where people reach liaison's web pages (deep links)


def config(context: Context) -> BotConfig:
    found: Any = context.bot_data[BOT_DATA_KEY]
    assert isinstance(found, BotConfig)
    return found


def private_chat_id(update: Update) -> int | None:
    """The chat's id when it is a private chat (liaison never acts for a group)."""
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:
        return None
    return chat.id


def chat_api(update: Update, context: Context) -> ChatApi | None:
    chat_id = private_chat_id(update)
    return None if chat_id is None else config(context).api.for_chat(chat_id)


async def reply(update: Update, text: str, **kwargs: Any) -> None:
    """Answer in the update's chat (protected: Telegram stops forwarding and saving it)."""
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, protect_content=True, **kwargs)


def conversation_state(context: Context, key: str) -> dict[str, Any] | None:
    """The state a conversation keeps for this user under `key` (None when none is open)."""
    data = context.user_data
    found = data.get(key) if data is not None else None
    return found if isinstance(found, dict) else None


def end_conversation(context: Context, key: str) -> int:
    """Forget the conversation's state and end it."""
    if context.user_data is not None:
        context.user_data.pop(key, None)
    return ConversationHandler.END


ACTIVE = "active"  # user_data: the conversation this person started last
ELSEWHERE = (
    "Not saved: that reached a conversation you had left open before starting another command, and it is "
    "now closed. Send it again."
)
Step = Callable[[Update, Context], Coroutine[Any, Any, int]]


def open_conversation(context: Context, key: str, state: dict[str, Any]) -> None:
    """Start keeping a conversation's state under `key`, as the one this person is in now."""
    assert context.user_data is not None
    context.user_data[key] = state
    context.user_data[ACTIVE] = key


def typed_for(key: str, step: Step) -> Step:
    """A typed answer (or /skip) for the conversation under `key`, only while it is the one started last.

    Conversations are kept across restarts, so one left open (no /stop) could otherwise take words meant
    for a later one: a review date saved as an assessment answer. Such text is refused and the old
    conversation closed; it is never saved to the wrong record."""

    async def run(update: Update, context: Context) -> int:
        data = context.user_data
        if data is not None and data.get(ACTIVE, key) != key:
            await reply(update, ELSEWHERE)
            return end_conversation(context, key)
        return await step(update, context)

    return run
