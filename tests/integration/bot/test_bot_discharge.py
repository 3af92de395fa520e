"""/discharge end to end: the real `liaison bot` process works a discharge plan's checklist through the
real API, from no plan at all to issued, with the bot process restarted in the middle of the checklist;
every refusal comes back in the API's words, and nothing identifying or clinical is sent to the chat."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from schemas.enums import Agency, Role
from services.kernel.clock import utcnow
from tests.integration.bot.conftest import ApiServer, BotProcess, restart_bot
from tests.integration.bot.steps import button, everything_sent, press, type_text
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.bot.test_bot_e2e import CHAT, STRANGER, link, no_identifiers, say
from tests.integration.bot.test_bot_plans import book, safety_plan
from tests.integration.conftest import Case, Person, World, add_care_coordinator, audit_events, run_worker

CRISIS = "Ring Aunt Priya on the landline first"
PLACE = "14 Birch Close clinic room"
OUT_OF_HOURS = "CAMHS crisis line"


def care_plan(client: TestClient, case: Case, nurse: Person) -> None:
    body = {"aims": ["Back at school"], "made_jointly_with_young_person": True, "review_date": "2027-03-01"}
    made = client.post(f"/api/v1/young-people/{case.ref}/care-plan", json=body, headers=nurse.headers)
    assert made.status_code == 201, made.text


def when(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def test_a_clinician_issues_a_discharge_plan_from_empty_through_the_bot_across_a_restart(
    client: TestClient,
    case: Case,
    world: World,
    telegram: TelegramServer,
    bot: BotProcess,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    nurse = add_care_coordinator(client, world, case)
    care_plan(client, case, nurse)
    safety_plan(client, case, nurse)
    link(telegram, CHAT, nurse.link_code)

    empty = say(telegram, CHAT, f"/discharge {case.ref}")
    assert f"{case.ref} has no discharge plan yet" in empty
    checklist = press(telegram, CHAT, "dis:new", "Still missing")
    assert "Care coordinator: nurse (RBT-LIA)" in checklist  # the API's default, from the care team
    assert "✓ Care plan: version 1" in checklist and "✓ Safety plan: version 1" in checklist
    assert "- a follow-up appointment within 72 h of discharge" in checklist
    assert "- a review date" in checklist

    refused = press(telegram, CHAT, "dis:issue", "Not issued.")
    assert "a follow-up appointment within 72 h" in refused and "a review date" in refused
    assert [e.via for e in audit_events(action="discharge_plan.issue", outcome="refused")] == ["bot"]

    press(telegram, CHAT, "dis:cc", "Choose from the care team")
    wrong = press(telegram, CHAT, button(telegram, CHAT, "jsmith"), "Not changed.")
    assert "on the care team as lead_social_worker, not care_coordinator" in wrong
    press(telegram, CHAT, "dis:cc", "Choose from the care team")
    assert "Care coordinator nurse saved." in press(telegram, CHAT, button(telegram, CHAT, "nurse"), "saved")

    press(telegram, CHAT, "dis:fu", "Which team owns")
    press(telegram, CHAT, button(telegram, CHAT, "RBT-LIA"), "owns it?")
    press(telegram, CHAT, button(telegram, CHAT, "nurse"), "When?")
    late = type_text(telegram, CHAT, when(24 * 10), "Where?")
    assert "Where?" in late
    added = type_text(telegram, CHAT, PLACE, "added")
    assert "NOT within the first-contact target" in added

    press(telegram, CHAT, "dis:fu", "Which team owns")
    press(telegram, CHAT, button(telegram, CHAT, "RBT-LIA"), "owns it?")
    press(telegram, CHAT, "dfo:none", "When?")
    restart_bot(bot, telegram, api_server, tmp_path)  # mid-checklist: the next answer carries on
    type_text(telegram, CHAT, "tomorrow at noon", "That is not a date and time")
    type_text(telegram, CHAT, when(24), "Where?")
    added = type_text(telegram, CHAT, PLACE, "Still missing")
    assert "RBT-LIA, added: within the first-contact target" in added
    assert "- a follow-up" not in added and "- a review date" in added

    press(telegram, CHAT, "dis:rev", "review date")
    type_text(telegram, CHAT, "next month", "Not a date")
    restart_bot(bot, telegram, api_server, tmp_path)
    assert "Ready to issue." in type_text(telegram, CHAT, "2027-02-01", "Ready to issue.")
    press(telegram, CHAT, "dis:cri", "crisis plan")
    assert "✓ Crisis plan: recorded" in type_text(telegram, CHAT, CRISIS, "Ready to issue.")
    press(telegram, CHAT, "dis:ooh", "out-of-hours contact")
    type_text(telegram, CHAT, OUT_OF_HOURS, "phone number")
    assert "✓ Out-of-hours contacts: 1" in type_text(telegram, CHAT, "/skip", "Ready to issue.")

    issued = press(telegram, CHAT, "dis:issue", "is issued")
    assert "Everyone named in it" in issued and "by ref only" in issued

    [summary] = client.get(f"/api/v1/young-people/{case.ref}/discharge-plans", headers=nurse.headers).json()
    plan = client.get(
        f"/api/v1/young-people/{case.ref}/discharge-plans/{summary['id']}", headers=nurse.headers
    ).json()
    assert plan["status"] == "issued" and plan["crisis_plan"] == CRISIS
    assert plan["review_date"] == "2027-02-01" and plan["care_coordinator"]["username"] == "nurse"
    assert [c["name"] for c in plan["out_of_hours_contacts"]] == [OUT_OF_HOURS]
    assert sorted(f["within_first_contact_target"] for f in plan["follow_ups"]) == [False, True]
    for action in ("discharge_plan.created", "discharge_plan.updated", "discharge_plan.follow_up_added"):
        assert {e.via for e in audit_events(action=action)} == {"bot"}, action
    [issue] = audit_events(action="discharge_plan.issued")
    assert (issue.actor_username, issue.via) == ("nurse", "bot")

    sent = everything_sent(telegram, CHAT)
    assert all(no_identifiers(t) for t in sent)
    assert not any(w in t for t in sent for w in (CRISIS, PLACE, "Priya", "Nurse", "Jsmith"))
    assert CRISIS not in bot.output() and PLACE not in bot.output()
    run_worker()  # the issued plan reaches those named in it through the worker, by ref only


def test_a_stranger_learns_nothing_of_the_discharge_plan(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    world.team("RBT-PSY", la=None)
    outsider = world.user("doc", role=Role.clinician, team="RBT-PSY")
    link(telegram, STRANGER, outsider.link_code)
    refused = say(telegram, STRANGER, f"/discharge {case.ref}")
    assert refused == f"{case.ref} is not a young person in your care teams (or the ref is wrong)."
    assert [c.keyboard() for c in telegram.sent("sendMessage", STRANGER)][-1] == []
    [denied] = audit_events(action="plans.read", outcome="denied")
    assert (denied.actor_username, denied.via) == ("doc", "bot")


def test_an_unlinked_chat_gets_only_the_short_refusal_from_every_checklist_and_the_chronology(
    case: Case, telegram: TelegramServer, bot: BotProcess
) -> None:
    commands = (f"/discharge {case.ref}", f"/transfer {case.ref}", f"/chronology {case.ref} 5")
    for text in commands:
        answer = say(telegram, STRANGER, text)
        assert "not linked" in answer and case.ref not in answer, text
    answer = press(telegram, STRANGER, f"chr:{case.ref}:5:5", "not linked")
    assert case.ref not in answer
    sent = telegram.sent("sendMessage", STRANGER)
    assert len(sent) == 4 and all(not c.keyboard() for c in sent)
    assert not [c for c in telegram.calls if c.method == "editMessageText"]
    assert not audit_events(young_person_ref=case.ref, via="bot")


def test_the_care_team_is_read_alone_by_its_members_and_refused_to_others_audited(
    client: TestClient, case: Case, world: World
) -> None:
    nurse = add_care_coordinator(client, world, case)
    read = client.get(f"/api/v1/young-people/{case.ref}/care-team", headers=nurse.headers)
    assert read.status_code == 200, read.text
    assert {(m["username"], m["role"]) for m in read.json()} == {
        ("jsmith", "lead_social_worker"),
        ("nurse", "care_coordinator"),
    }
    assert all(no_identifiers(str(m)) for m in read.json())  # the members, never the record
    [allowed] = audit_events(action="care_team.read", outcome="allowed")
    assert (allowed.actor_username, allowed.via) == ("nurse", "api")

    world.team("RBT-PSY", la=None)
    outsider = world.user("doc", role=Role.clinician, team="RBT-PSY")
    refused = client.get(f"/api/v1/young-people/{case.ref}/care-team", headers=outsider.headers)
    assert refused.status_code == 403
    [denied] = audit_events(action="care_team.read", outcome="denied")
    assert denied.actor_username == "doc"


def test_words_typed_for_the_checklist_never_land_in_a_conversation_left_open(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    nurse = add_care_coordinator(client, world, case)
    booked = book(client, case, nurse, days=-1)
    link(telegram, CHAT, nurse.link_code)
    say(telegram, CHAT, f"/appointments {case.ref}")
    telegram.press(CHAT, f"apt:a:{booked['id']}")
    telegram.wait_for(lambda: telegram.sent("editMessageText"), "the outcome prompt")
    press(telegram, CHAT, "out:wnb", "Why was it missed")  # left open, waiting for the reason

    say(telegram, CHAT, f"/discharge {case.ref}")
    press(telegram, CHAT, "dis:new", "Still missing")
    press(telegram, CHAT, "dis:rev", "review date")
    refused = type_text(telegram, CHAT, "2027-02-01", "Not saved")
    assert "What got in the way?" not in refused  # not taken as the missed appointment's reason
    assert "Review date saved." in type_text(telegram, CHAT, "2027-02-01", "Review date saved.")
    listed = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()
    assert listed["appointments"][0]["status"] == "scheduled"
