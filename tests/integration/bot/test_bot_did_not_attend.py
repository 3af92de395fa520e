"""Did not attend from the bot, end to end: the adolescent-capacity check asked step by step, a check the
API refuses (the wrong framework for the young person's age) explained in its words, then one it accepts,
with the bot process restarted in the middle; and a needs assessment carried on across a restart."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from schemas.enums import Agency
from tests.integration.bot.conftest import ApiServer, BotProcess, restart_bot
from tests.integration.bot.steps import everything_sent, press, type_text
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.bot.test_bot_e2e import CHAT, link, no_identifiers, say
from tests.integration.bot.test_bot_plans import book
from tests.integration.conftest import Case, World, add_care_coordinator, audit_events

JUDGEMENT = "Talked it through with Sam alone; weighed up the session and said no"


def _to_the_check(telegram: TelegramServer, ref: str, appointment_id: int) -> None:
    say(telegram, CHAT, f"/appointments {ref}")
    telegram.press(CHAT, f"apt:a:{appointment_id}")
    telegram.wait_for(lambda: telegram.sent("editMessageText"), "the outcome prompt")
    telegram.press(CHAT, "out:dna")
    telegram.wait_for(
        lambda: "adolescent-capacity check" in telegram.sent("editMessageText")[-1].text, "the check"
    )


def _rest_of_the_miss(telegram: TelegramServer) -> str:
    press(telegram, CHAT, "cap:i:y", "When was it judged?")
    press(telegram, CHAT, "cap:d:today", "How was the judgement reached?")
    type_text(telegram, CHAT, JUDGEMENT, "Why was it missed")
    type_text(telegram, CHAT, "Chose to go to college instead", "What got in the way?")
    telegram.press(CHAT, "bar:other")
    telegram.wait_for(lambda: "Chosen: Other" in telegram.sent("editMessageText")[-1].text, "the barrier")
    return press(telegram, CHAT, "bar:done", "ecorded")  # "Recorded for" or "Not recorded."


def test_did_not_attend_asks_the_capacity_check_and_the_api_decides_across_a_restart(
    client: TestClient,
    case: Case,
    world: World,
    telegram: TelegramServer,
    bot: BotProcess,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    nurse = add_care_coordinator(client, world, case)
    booked = book(client, case, nurse, days=-1)
    link(telegram, CHAT, nurse.link_code)

    _to_the_check(telegram, case.ref, booked["id"])
    press(telegram, CHAT, "cap:f:gillick", "judged competent")  # the young person is 18: the API says no
    press(telegram, CHAT, "cap:c:y", "understand what the appointment was for")
    refused = _rest_of_the_miss(telegram)
    assert refused.startswith("Not recorded.")
    assert "use mca (the Mental Capacity Act)" in refused
    assert [e.via for e in audit_events(action="missed_appointment.record", outcome="refused")] == ["bot"]

    _to_the_check(telegram, case.ref, booked["id"])
    press(telegram, CHAT, "cap:f:mca", "judged competent")
    restart_bot(bot, telegram, api_server, tmp_path)  # mid-check: the next answer carries on
    press(telegram, CHAT, "cap:c:y", "understand what the appointment was for")
    done = _rest_of_the_miss(telegram)
    assert f"Recorded for {case.ref}" in done and "did not attend" in done

    listed = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()
    [appointment] = listed["appointments"]
    assert appointment["status"] == "did_not_attend"
    capacity = appointment["missed"]["capacity"]
    assert (capacity["framework"], capacity["competent"], capacity["informed_choice"]) == ("mca", True, True)
    assert capacity["note"] == JUDGEMENT and capacity["assessed_by"] == "nurse"
    [recorded] = audit_events(action="missed_appointment.recorded")
    assert (recorded.actor_username, recorded.via) == ("nurse", "bot")
    sent = everything_sent(telegram, CHAT)
    assert all(no_identifiers(t) for t in sent) and not any("Sam alone" in t for t in sent)
    assert JUDGEMENT not in bot.output()


def test_a_needs_assessment_carries_on_after_the_bot_restarts(
    client: TestClient,
    case: Case,
    world: World,
    telegram: TelegramServer,
    bot: BotProcess,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    nurse = add_care_coordinator(client, world, case)
    link(telegram, CHAT, nurse.link_code)
    first = say(telegram, CHAT, f"/assess {case.ref}")
    assert "Needs assessment for" in first
    question = telegram.wait_for_messages(CHAT, 3)[-1]
    assert question.keyboard(), question.text  # the first question has buttons
    data = question.keyboard()[0][0]["callback_data"]
    restart_bot(bot, telegram, api_server, tmp_path)
    telegram.press(CHAT, data)  # the button under the question asked before the restart still answers it
    telegram.wait_for(lambda: telegram.sent("editMessageText"), "the answer saved")
    assert "Answer:" in telegram.sent("editMessageText")[-1].text
    [summary] = client.get(f"/api/v1/young-people/{case.ref}/assessments", headers=nurse.headers).json()
    assessment = client.get(f"/api/v1/assessments/{summary['id']}", headers=nurse.headers).json()
    assert len(assessment["answers"]) == 1 and {a["via"] for a in assessment["history"]} == {"bot"}
