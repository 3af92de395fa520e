"""Steps of a conversation with the real bot: press or type, then wait for the bot's answer."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.bot.telegram_server import Call, TelegramServer


def answers(telegram: TelegramServer, chat: int, act: Callable[[], None], until: str) -> str:
    """Do `act`, then wait until a message sent after it contains `until`; all those messages, joined."""
    before = len(telegram.sent("sendMessage", chat))
    act()

    def arrived() -> str | None:
        new = telegram.sent("sendMessage", chat)[before:]
        joined = "\n".join(c.text for c in new)
        return joined if until in joined else None

    found: str = telegram.wait_for(arrived, f"a message with {until!r} in chat {chat}")
    return found


def press(telegram: TelegramServer, chat: int, data: str, until: str) -> str:
    return answers(telegram, chat, lambda: telegram.press(chat, data), until)


def type_text(telegram: TelegramServer, chat: int, text: str, until: str) -> str:
    return answers(telegram, chat, lambda: telegram.send_text(chat, text), until)


def keyboard_message(telegram: TelegramServer, chat: int) -> Call:
    return [c for c in telegram.sent("sendMessage", chat) if c.keyboard()][-1]


def button(telegram: TelegramServer, chat: int, starts: str) -> str:
    """The callback data of the button whose text starts with `starts`, in the latest keyboard."""
    rows = keyboard_message(telegram, chat).keyboard()
    found = [b["callback_data"] for row in rows for b in row if str(b["text"]).startswith(starts)]
    assert found, f"no button {starts!r} in {rows}"
    return str(found[0])


def everything_sent(telegram: TelegramServer, chat: int) -> list[str]:
    """Every text the bot sent to or wrote in the chat, buttons included."""
    texts = []
    for call in telegram.calls:
        if call.chat_id == chat and call.method in ("sendMessage", "editMessageText"):
            texts.append(call.text)
            texts.extend(str(b["text"]) for row in call.keyboard() for b in row)
    return texts
