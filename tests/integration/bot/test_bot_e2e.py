"""The bot end to end: the real `liaison bot` process long-polls the Bot API test server and calls the real
API over HTTP; the real rq worker sends alerts to the same test server."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.bot.conftest import TOKEN, ApiServer, BotProcess, start_bot, stop_bot
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


def link(telegram: TelegramServer, chat: int, code: str) -> None:
    assert "Linked" in say(telegram, chat, f"/start {code}")


def alert_for(telegram: TelegramServer, chat: int) -> tuple[str, str]:
    """The worker's alert in this chat: its text and the callback data of its button."""
    [alert] = telegram.wait_for(
        lambda: [c for c in telegram.sent("sendMessage", chat) if c.keyboard()], "the worker's alert"
    )
    [[button]] = alert.keyboard()
    return alert.text, button["callback_data"]


def test_the_alert_button_acknowledges_through_the_api_as_the_chats_user(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess, mailbox: Mailbox
) -> None:
    world.team("RBT-PSY", la=None)
    outsider = world.user("doc", role=Role.clinician, team="RBT-PSY")
    link(telegram, CHAT, case.social_worker.link_code)
    link(telegram, STRANGER, outsider.link_code)

    assert (
        client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers).status_code
        == 202
    )
    run_worker()
    text, data = alert_for(telegram, CHAT)
    assert case.ref in text and no_identifiers(text)
    [notification] = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    assert data == f"ack:{notification['id']}"

    # Someone else's chat forging the button is refused by the API, and nothing changes.
    telegram.press(STRANGER, data)
    [refused] = telegram.wait_for(lambda: telegram.sent("answerCallbackQuery"), "the refusal")
    assert "cannot acknowledge" in refused.params["text"]
    assert telegram.sent("editMessageText") == []
    [denied] = audit_events(action="notification.acknowledge", outcome="denied")
    assert (denied.actor_username, denied.via) == ("doc", "bot")
    unacked = client.get(f"/api/v1/notifications/{notification['id']}", headers=case.social_worker.headers)
    assert unacked.json()["acknowledged_at"] is None

    telegram.press(CHAT, data)
    [edited] = telegram.wait_for(lambda: telegram.sent("editMessageText"), "the alert to be edited")
    assert case.ref in edited.text and "Acknowledged" in edited.text and no_identifiers(edited.text)
    assert "reply_markup" not in edited.params or not edited.keyboard()
    acked = client.get(f"/api/v1/notifications/{notification['id']}", headers=case.social_worker.headers)
    assert acked.json()["acknowledged_by"] == "jsmith"
    assert acked.json()["acknowledged_via"] == "bot"
    [listed] = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    assert listed["acknowledged_by"] == "jsmith"

    telegram.press(CHAT, data)  # a repeat press is harmless
    telegram.wait_for(lambda: len(telegram.sent("answerCallbackQuery")) == 3, "the repeat press's answer")
    assert telegram.sent("answerCallbackQuery")[-1].params["text"] == "Acknowledged."
    again = client.get(f"/api/v1/notifications/{notification['id']}", headers=case.social_worker.headers)
    assert again.json()["acknowledged_at"] == acked.json()["acknowledged_at"]
    assert bot.process.poll() is None


def test_pending_and_case_name_the_ref_and_nothing_identifying(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess, mailbox: Mailbox
) -> None:
    link(telegram, CHAT, case.social_worker.link_code)
    assert "Nothing waiting" in say(telegram, CHAT, "/pending")
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    run_worker()
    alert_for(telegram, CHAT)

    pending = say(telegram, CHAT, "/pending")
    assert case.ref in pending and "Attendance alert" in pending
    assert no_identifiers(pending)

    summary = say(telegram, CHAT, f"/case {case.ref.lower()}")
    assert case.ref in summary and "Open alerts: 1 (1 for you)" in summary
    assert "Needs assessment: none yet" in summary
    assert no_identifiers(summary)
    assert not audit_events(action="young_person.read")  # minimal mode never reads the record
    assert [e.via for e in audit_events(action="notification.list")] == ["bot", "bot"]

    world.team("RBT-PSY", la=None)
    outsider = world.user("doc", role=Role.clinician, team="RBT-PSY")
    link(telegram, STRANGER, outsider.link_code)
    refused = say(telegram, STRANGER, f"/case {case.ref}")
    assert "not a young person in your care teams" in refused
    assert audit_events(outcome="denied", actor_username="doc")


def test_pending_asks_the_api_for_your_own_alerts_only_and_acknowledged_ones_leave_it(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    nurse = add_care_coordinator(client, world, case)
    link(telegram, CHAT, nurse.link_code)
    link(telegram, STRANGER, case.social_worker.link_code)
    for source_id in ("V1", "V2"):
        client.post("/api/v1/attendances", json=attendance(source_id), headers=case.hospital.headers)
    mine = client.get("/api/v1/me/pending", headers=nurse.headers).json()
    assert mine["total"] >= 2 and {n["recipient"] for n in mine["notifications"]} == {"nurse"}

    pending = say(telegram, CHAT, "/pending")
    assert pending.startswith(f"Not yet acknowledged ({mine['total']}):"), pending
    assert (
        pending.count(case.ref) == mine["total"]
    )  # jsmith's alerts about the same young person are not here
    for n in client.get("/api/v1/me/pending", headers=case.social_worker.headers).json()["notifications"]:
        acked = client.post(
            f"/api/v1/notifications/{n['id']}/acknowledge", headers=case.social_worker.headers
        )
        assert acked.status_code == 200
    assert "Nothing waiting" in say(telegram, STRANGER, "/pending")
    assert say(telegram, CHAT, "/pending") == pending  # someone else acknowledging theirs leaves yours
    listed = audit_events(action="notification.list", actor_username="nurse")
    assert [(e.via, e.young_person_ref) for e in listed] == [
        ("api", case.ref),
        ("bot", case.ref),
        ("bot", case.ref),
    ]


def test_named_chat_detail_adds_the_name_and_still_no_nhs_number_or_birth_date(
    client: TestClient, case: Case, telegram: TelegramServer, api_server: ApiServer, tmp_path: Path
) -> None:
    named = start_bot(telegram, api_server, tmp_path, CHAT_DETAIL="named")
    try:
        link(telegram, CHAT, case.social_worker.link_code)
        summary = say(telegram, CHAT, f"/case {case.ref}")
    finally:
        stop_bot(named)
    assert "Alex Testperson" in summary
    assert YOUNG_PERSON["nhs_number"] not in summary and YOUNG_PERSON["date_of_birth"] not in summary


def test_an_assessment_answered_through_the_bot_records_via_bot_and_completes(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    nurse = add_care_coordinator(client, world, case)
    link(telegram, CHAT, nurse.link_code)
    question = say(telegram, CHAT, f"/assess {case.ref}")
    assert "Needs assessment for" in question
    question_call = telegram.wait_for_messages(CHAT, 3)[-1]
    skipped = typed = 0
    for _ in range(60):
        text = question_call.text
        before = len(telegram.sent("sendMessage", CHAT))
        if "Type your risk formulation" in text:
            break
        if question_call.keyboard():
            buttons = [b for row in question_call.keyboard() for b in row]
            # "Yes" for autism, to bring up its optional follow-up; otherwise the first (lowest) answer.
            wanted = "Yes" if "autis" in text.lower() else "No"
            button = next((b for b in buttons if b["text"] == wanted), buttons[0])
            telegram.press(CHAT, button["callback_data"])
        elif "(optional)" in text:
            telegram.send_text(CHAT, "/skip")
            skipped += 1
        else:
            telegram.send_text(CHAT, "Seen with carer today.")
            typed += 1
        question_call = telegram.wait_for_messages(CHAT, before + 1)[before]
    else:
        raise AssertionError("the bot never asked for the risk formulation")
    assert skipped >= 1 and typed >= 1, [c.text for c in telegram.sent("sendMessage", CHAT)]

    done = say(telegram, CHAT, "Formulation written by the assessor.")
    assert "completed" in done and case.ref in done
    assert "Likelihood of Tier 4 admission, placement breakdown or custody: LOW" in done
    assert "Section A (Complex risk factors): LOW" in done
    assert no_identifiers(done)

    [summary] = client.get(f"/api/v1/young-people/{case.ref}/assessments", headers=nurse.headers).json()
    assessment = client.get(f"/api/v1/assessments/{summary['id']}", headers=nurse.headers).json()
    assert assessment["status"] == "completed"
    assert assessment["completed_by"] == "nurse"
    assert assessment["history"] and {a["via"] for a in assessment["history"]} == {"bot"}
    assert {e.via for e in audit_events(action="assessment.answered")} == {"bot"}
    [completed] = audit_events(action="assessment.completed")
    assert completed.via == "bot"
    log = bot.output()
    assert "Formulation written" not in log and "Seen with carer" not in log and nurse.link_code not in log


def test_stop_pauses_and_assess_resumes_from_the_saved_answers(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    nurse = add_care_coordinator(client, world, case)
    link(telegram, CHAT, nurse.link_code)
    say(telegram, CHAT, f"/assess {case.ref}")
    first = telegram.wait_for_messages(CHAT, 3)[-1]
    assert "Please choose" in say(telegram, CHAT, "typed instead of pressed")
    telegram.press(CHAT, first.keyboard()[0][0]["callback_data"])
    telegram.wait_for_messages(CHAT, 5)
    telegram.press(CHAT, first.keyboard()[0][0]["callback_data"])  # a stale button is not saved again
    telegram.wait_for(lambda: len(telegram.sent("answerCallbackQuery")) == 2, "the stale press's answer")
    assert "no longer open" in telegram.sent("answerCallbackQuery")[-1].params["text"]
    assert "Paused" in say(telegram, CHAT, "/stop")
    assert "(1 answered so far)" in say(telegram, CHAT, f"/assess {case.ref}")
    [summary] = client.get(f"/api/v1/young-people/{case.ref}/assessments", headers=nurse.headers).json()
    assessment = client.get(f"/api/v1/assessments/{summary['id']}", headers=nurse.headers).json()
    assert [(a["via"], a["answered_by"]) for a in assessment["history"]] == [("bot", "nurse")]


def test_blocked_chats_and_flood_control_do_not_stop_the_bot(
    case: Case, telegram: TelegramServer, bot: BotProcess
) -> None:
    telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    telegram.send_text(STRANGER, "/help please-do-not-log-this")
    telegram.wait_for(lambda: [c for c in telegram.calls if c.status == 403], "the blocked send")

    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    answer = say(telegram, STRANGER, "/pending")  # the rate limiter waits retry_after, then sends
    assert "not linked" in answer
    assert [c.status for c in telegram.calls if c.method == "sendMessage"] == [403, 429, 200]

    assert "Linked" in say(telegram, CHAT, f"/start {case.social_worker.link_code}")
    assert bot.process.poll() is None
    log = bot.output()
    assert "blocked" in log
    assert "please-do-not-log-this" not in log and case.social_worker.link_code not in log
    assert TOKEN not in log and TOKEN.split(":", 1)[1] not in log  # Bot API URLs carry the token
