"""The bot end to end: the real `liaison bot` process long-polls the Bot API test server and calls the real
API over HTTP; the real rq worker sends alerts to the same test server."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.bot.conftest import ApiServer, BotProcess, start_bot, stop_bot
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.conftest import (
    YOUNG_PERSON,
    Case,
    Mailbox,
    World,
    add_care_coordinator,
    attendance,
    audit_events,
    run_worker,
)

CHAT = 424242
STRANGER = 515151
IDENTIFIERS = (
    YOUNG_PERSON["given_name"],
    YOUNG_PERSON["family_name"],
    YOUNG_PERSON["nhs_number"],
    "999 000 0018",
    YOUNG_PERSON["date_of_birth"],
    "14 Mar",
)


def no_identifiers(text: str) -> bool:
    return not any(str(i).lower() in text.lower() for i in IDENTIFIERS)


def say(telegram: TelegramServer, chat: int, text: str) -> str:
    """Send `text` and return the bot's next reply in that chat."""
    before = len(telegram.sent("sendMessage", chat))
    telegram.send_text(chat, text)
    return telegram.wait_for_messages(chat, before + 1)[before].text


def test_start_with_a_link_code_links_the_chat(
    client: TestClient, case: Case, telegram: TelegramServer, bot: BotProcess
) -> None:
    answer = say(telegram, CHAT, f"/start {case.social_worker.link_code}")
    assert "Linked" in answer
    assert "jsmith" in answer
    me = client.get("/api/v1/me", headers=case.social_worker.headers).json()
    assert me["telegram_linked"] is True
    [linked] = audit_events(action="telegram.linked")
    assert linked.via == "bot"

    assert "already used" in say(telegram, STRANGER, f"/start {case.social_worker.link_code}")
    assert "linked to jsmith" in say(telegram, CHAT, "/start")


def test_an_unlinked_chat_gets_a_short_refusal_and_nothing_else(
    case: Case, telegram: TelegramServer, bot: BotProcess
) -> None:
    for text in ("/pending", f"/case {case.ref}", f"/assess {case.ref}", "hello", "/help"):
        answer = say(telegram, STRANGER, text)
        assert "not linked" in answer
        assert case.ref not in answer
    telegram.press(STRANGER, "ack:1")
    [answered] = telegram.wait_for(lambda: telegram.sent("answerCallbackQuery"), "the button answer")
    assert "not linked" in answered.params["text"]
    assert len(telegram.sent("sendMessage", STRANGER)) == 5
    assert telegram.sent("editMessageText") == []
    assert [c.method for c in telegram.calls if c.chat_id == STRANGER] == ["sendMessage"] * 5
