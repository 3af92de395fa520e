"""/plan and /appointments end to end: the real `liaison bot` process reads plans and records a missed
appointment through the real API (as the chat's user, audited via=bot); the real rq worker tells the
people the was-not-brought rules name, in their Telegram chats, by ref only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from schemas.enums import Agency, Role
from services.kernel.clock import utcnow
from tests.integration.bot.conftest import ApiServer, BotProcess, start_bot, stop_bot
from tests.integration.bot.telegram_server import Call, TelegramServer
from tests.integration.bot.test_bot_e2e import CHAT, STRANGER, link, no_identifiers, say
from tests.integration.conftest import (
    YOUNG_PERSON,
    Case,
    Person,
    World,
    add_care_coordinator,
    audit_events,
    run_worker,
)
from tests.integration.test_plans import CARE_PLAN

SOCIAL_WORKER_CHAT = 616161
SAFETY_WORDS = "Texting my cousin Jordan when the thoughts get loud"
REASON = "Mum's car broke down on the ring road"


def safety_plan(client: TestClient, case: Case, nurse: Person) -> None:
    body = {
        "warning_signs": [SAFETY_WORDS],
        "people_who_can_help": [{"name": "Jordan", "relationship": "cousin", "phone": "07700 900123"}],
        "agreed_with_young_person": True,
        "review_date": "2027-01-10",
    }
    made = client.post(f"/api/v1/young-people/{case.ref}/safety-plan", json=body, headers=nurse.headers)
    assert made.status_code == 201, made.text


def discharge_plan(client: TestClient, case: Case, nurse: Person, days: list[int]) -> dict[str, Any]:
    """A draft discharge plan (discharged three days ago) with CAMHS follow-ups `days` from now."""
    now = utcnow()
    body = {
        "discharge_at": (now - timedelta(days=3)).isoformat(),
        "follow_ups": [
            {"at": (now + timedelta(days=d)).isoformat(), "owner_team": "CEC-CAMHS", "location": "12 Elm Rd"}
            for d in days
        ],
        "crisis_plan": "Private crisis words",
        "review_date": "2027-02-01",
    }
    made = client.post(f"/api/v1/young-people/{case.ref}/discharge-plans", json=body, headers=nurse.headers)
    assert made.status_code == 201, made.text
    plan: dict[str, Any] = made.json()
    return plan


def book(client: TestClient, case: Case, nurse: Person, days: float) -> dict[str, Any]:
    body = {
        "at": (utcnow() + timedelta(days=days)).isoformat(),
        "owner_team": "CEC-CAMHS",
        "kind": "camhs",
        "location": "12 Elm Rd",
        "purpose": "Private purpose words",
    }
    made = client.post(f"/api/v1/young-people/{case.ref}/appointments", json=body, headers=nurse.headers)
    assert made.status_code == 201, made.text
    booked: dict[str, Any] = made.json()
    return booked


def private(text: str) -> bool:
    """Nothing identifying and no clinical or free text from the record."""
    words = (SAFETY_WORDS, "Jordan", "07700", "Private", "12 Elm Rd", REASON, "Nurse", "Jsmith")
    return no_identifiers(text) and not any(w in text for w in words)


def test_plan_shows_the_discharge_plan_readiness_people_and_follow_ups_and_no_safety_plan_content(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    nurse = add_care_coordinator(client, world, case)
    safety_plan(client, case, nurse)
    plan = discharge_plan(client, case, nurse, [-1, 2])
    missed = client.post(
        f"/api/v1/young-people/{case.ref}/discharge-plans/{plan['id']}/follow-ups/"
        f"{plan['follow_ups'][0]['id']}/outcome",
        json={"status": "was_not_brought", "reason": REASON, "barriers": ["transport"]},
        headers=nurse.headers,
    )
    assert missed.status_code == 200, missed.text
    link(telegram, CHAT, nurse.link_code)

    answer = say(telegram, CHAT, f"/plan {case.ref.lower()}")
    assert f"Plans for {case.ref}" in answer
    assert "Care plan: none" in answer
    assert "Safety plan: version 1" in answer and "review by 10 Jan 2027" in answer
    assert "not shown in chat" in answer
    assert f"Discharge plan {plan['id']}: draft" in answer
    assert "Not ready to issue. Still missing:\n- a care plan (NICE NG225" in answer
    assert "Care coordinator: nurse (care coordinator, RBT-LIA)" in answer
    assert "Lead social worker: jsmith (lead social worker, CEC-CSC)" in answer
    assert "Review date: 01 Feb 2027" in answer
    assert "Follow-ups (2):" in answer
    assert "CEC-CAMHS: was not brought" in answer and "CEC-CAMHS: scheduled" in answer
    assert private(answer), answer
    assert len(answer) <= 4096

    assert [e.via for e in audit_events(action="plans.read")] == ["bot"]
    assert [e.via for e in audit_events(action="discharge_plan.read")] == ["bot"]
    assert not audit_events(action="safety_plan.read")  # the content is never even read
    assert not audit_events(action="young_person.read")


def test_plan_says_a_care_plan_exists_and_whom_to_ask_when_it_is_not_shared_with_the_readers_agency(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    nurse = add_care_coordinator(client, world, case)
    body = CARE_PLAN | {"sharing": {"consent_to_share": True, "agency_consent": {"social_care": False}}}
    made = client.post(f"/api/v1/young-people/{case.ref}/care-plan", json=body, headers=nurse.headers)
    assert made.status_code == 201, made.text
    link(telegram, SOCIAL_WORKER_CHAT, case.social_worker.link_code)
    link(telegram, CHAT, nurse.link_code)

    refused_agency = say(telegram, SOCIAL_WORKER_CHAT, f"/plan {case.ref}")
    assert "Care plan: version 1" in refused_agency
    assert "Not shared with your agency (the young person's consent): ask nurse (RBT-LIA)" in refused_agency
    coordinator = say(telegram, CHAT, f"/plan {case.ref}")
    assert "Care plan: version 1" in coordinator and "Not shared" not in coordinator
    for answer in (refused_agency, coordinator):
        assert private(answer) and "Feel safe" not in answer and "sister" not in answer, answer
    assert [(e.actor_username, e.via) for e in audit_events(action="plans.read")] == [
        ("jsmith", "bot"),
        ("nurse", "bot"),
    ]


def test_named_chat_detail_adds_the_name_to_plan_and_still_no_nhs_number_or_birth_date(
    client: TestClient,
    case: Case,
    world: World,
    telegram: TelegramServer,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    nurse = add_care_coordinator(client, world, case)
    safety_plan(client, case, nurse)
    named = start_bot(telegram, api_server, tmp_path, CHAT_DETAIL="named")
    try:
        link(telegram, CHAT, nurse.link_code)
        answer = say(telegram, CHAT, f"/plan {case.ref}")
    finally:
        stop_bot(named)
    assert "Name: Alex Testperson" in answer and "Discharge plan: none yet" in answer
    assert YOUNG_PERSON["nhs_number"] not in answer and YOUNG_PERSON["date_of_birth"] not in answer
    assert SAFETY_WORDS not in answer and "Jordan" not in answer
    assert [e.via for e in audit_events(action="young_person.read")] == ["bot"]


def test_plan_for_someone_not_on_the_care_team_is_refused_like_case_and_audited(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    world.team("RBT-PSY", la=None)
    outsider = world.user("doc", role=Role.clinician, team="RBT-PSY")
    link(telegram, STRANGER, outsider.link_code)
    refused = say(telegram, STRANGER, f"/plan {case.ref}")
    assert refused == say(telegram, STRANGER, f"/case {case.ref}")
    assert refused == f"{case.ref} is not a young person in your care teams (or the ref is wrong)."
    [denied] = audit_events(action="plans.read", outcome="denied")
    assert (denied.actor_username, denied.via) == ("doc", "bot")
    refused = say(telegram, STRANGER, f"/appointments {case.ref}")
    assert "not a young person in your care teams" in refused
    assert audit_events(action="appointment.list", outcome="denied", actor_username="doc")


def edits(telegram: TelegramServer, count: int) -> list[Call]:
    found: list[Call] = telegram.wait_for(
        lambda: len(telegram.sent("editMessageText")) >= count and telegram.sent("editMessageText"),
        f"{count} edited messages",
    )
    return found


def test_was_not_brought_recorded_from_the_bot_tells_the_care_team_by_ref_only(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    nurse = add_care_coordinator(client, world, case)
    booked = book(client, case, nurse, days=-1)
    discharge_plan(client, case, nurse, [1])
    book(client, case, nurse, days=-60)  # too long ago to be offered
    link(telegram, CHAT, nurse.link_code)
    link(telegram, SOCIAL_WORKER_CHAT, case.social_worker.link_code)

    listing = say(telegram, CHAT, f"/appointments {case.ref}")
    assert "choose one" in listing
    buttons = [b for row in telegram.sent("sendMessage", CHAT)[-1].keyboard() for b in row]
    assert [b["callback_data"] for b in buttons][0] == f"apt:a:{booked['id']}"
    assert len(buttons) == 2 and buttons[1]["callback_data"].startswith("apt:f:")
    assert all(private(b["text"]) for b in buttons)

    telegram.press(CHAT, buttons[0]["callback_data"])
    [prompt] = edits(telegram, 1)
    assert "What happened?" in prompt.text
    telegram.press(CHAT, "out:dna")  # did not attend needs a capacity check: offered was not brought
    assert "adolescent-capacity check" in edits(telegram, 2)[-1].text
    telegram.press(CHAT, "out:wnb")
    edits(telegram, 3)
    telegram.wait_for(lambda: "Why was it missed" in telegram.sent("sendMessage", CHAT)[-1].text, "reason")
    barriers = say(telegram, CHAT, REASON)
    assert "What got in the way?" in barriers
    telegram.press(CHAT, "bar:unknown")
    telegram.press(CHAT, "bar:transport")  # clears unknown, which stands alone
    assert "Chosen: Transport" in edits(telegram, 5)[-1].text
    before = len(telegram.sent("sendMessage", CHAT))
    telegram.press(CHAT, "bar:done")
    done = telegram.wait_for_messages(CHAT, before + 1)[before].text
    assert f"Recorded for {case.ref}" in done and "was not brought" in done
    assert "Told of this miss: jsmith, nurse" in done
    assert private(done.replace("jsmith, nurse", ""))

    listed = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()
    [appointment] = [a for a in listed["appointments"] if a["id"] == booked["id"]]
    assert appointment["status"] == "was_not_brought" and appointment["recorded_by"] == "nurse"
    assert appointment["missed"]["reason"] == REASON and appointment["missed"]["barriers"] == ["transport"]
    [outcome] = audit_events(action="appointment.outcome", outcome="allowed")
    assert outcome.via == "bot"
    [recorded] = audit_events(action="missed_appointment.recorded")
    assert (recorded.actor_username, recorded.via) == ("nurse", "bot")

    run_worker()
    [alert] = telegram.wait_for(
        lambda: [c for c in telegram.sent("sendMessage", SOCIAL_WORKER_CHAT) if c.keyboard()], "the alert"
    )
    assert case.ref in alert.text and private(alert.text)
    sent = client.get("/api/v1/notifications", headers=case.lead.headers).json()
    assert sorted(n["recipient"] for n in sent if n["kind"] == "was_not_brought") == ["jsmith", "nurse"]
    assert REASON not in bot.output()


def test_a_refused_miss_is_explained_in_plain_words_and_cancel_leaves_the_flow(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    nurse = add_care_coordinator(client, world, case)
    booked = book(client, case, nurse, days=2)
    link(telegram, CHAT, nurse.link_code)

    say(telegram, CHAT, f"/appointments {case.ref}")
    telegram.press(CHAT, f"apt:a:{booked['id']}")
    assert "It is still to come" in edits(telegram, 1)[-1].text
    assert "Stopped: nothing was recorded." in say(telegram, CHAT, "/cancel")
    assert "I did not understand" in say(telegram, CHAT, "typed after cancelling")

    say(telegram, CHAT, f"/appointments {case.ref}")
    telegram.press(CHAT, f"apt:a:{booked['id']}")
    edits(telegram, 2)
    telegram.press(CHAT, "out:wnb")
    telegram.wait_for(lambda: "Why was it missed" in telegram.sent("sendMessage", CHAT)[-1].text, "reason")
    say(telegram, CHAT, "Not known yet")
    telegram.press(CHAT, "bar:done")  # nothing chosen: asked again, nothing sent to the API
    telegram.wait_for(lambda: telegram.sent("answerCallbackQuery")[-1].params.get("show_alert"), "alert")
    telegram.press(CHAT, "bar:unknown")
    edits(telegram, 4)
    before = len(telegram.sent("sendMessage", CHAT))
    telegram.press(CHAT, "bar:done")
    refused = telegram.wait_for_messages(CHAT, before + 1)[before].text
    assert refused.startswith("Not recorded.")
    assert "cannot record was not brought for appointment" in refused
    assert "cannot be missed before it happens" in refused and "_" not in refused
    assert [e.via for e in audit_events(action="missed_appointment.record", outcome="refused")] == ["bot"]
    listed = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()
    assert listed["appointments"][0]["status"] == "scheduled"


def test_a_follow_up_is_recorded_through_its_discharge_plan_and_attended_withdraws_the_miss(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    nurse = add_care_coordinator(client, world, case)
    plan = discharge_plan(client, case, nurse, [-1])
    [follow_up] = plan["follow_ups"]
    link(telegram, CHAT, nurse.link_code)
    data = f"apt:f:{plan['id']}:{follow_up['id']}"

    say(telegram, CHAT, f"/appointments {case.ref}")
    telegram.press(CHAT, data)
    assert "follow-up CEC-CAMHS: scheduled" in edits(telegram, 1)[-1].text
    telegram.press(CHAT, "out:wnb")
    telegram.wait_for(lambda: "Why was it missed" in telegram.sent("sendMessage", CHAT)[-1].text, "reason")
    say(telegram, CHAT, "Nobody knows yet")
    telegram.press(CHAT, "bar:unknown")
    edits(telegram, 3)
    before = len(telegram.sent("sendMessage", CHAT))
    telegram.press(CHAT, "bar:done")
    done = telegram.wait_for_messages(CHAT, before + 1)[before].text
    assert "follow-up CEC-CAMHS, was not brought" in done and "Told of this miss: jsmith, nurse" in done

    read = client.get(f"/api/v1/young-people/{case.ref}/discharge-plans/{plan['id']}", headers=nurse.headers)
    [recorded] = read.json()["follow_ups"]
    assert recorded["status"] == "was_not_brought" and recorded["missed"]["barriers"] == ["unknown"]
    [event] = audit_events(action="discharge_plan.follow_up_outcome", outcome="allowed")
    assert event.via == "bot"

    listing = say(telegram, CHAT, f"/appointments {case.ref}")
    assert "choose one" in listing
    [[button]] = telegram.sent("sendMessage", CHAT)[-1].keyboard()
    assert button["text"].endswith("was not brought")
    telegram.press(CHAT, data)
    edits(telegram, 5)
    before = len(telegram.sent("sendMessage", CHAT))
    telegram.press(CHAT, "out:att")
    done = telegram.wait_for_messages(CHAT, before + 1)[before].text
    assert "follow-up CEC-CAMHS, attended." in done and "Told" not in done
    missed = client.get(f"/api/v1/young-people/{case.ref}/missed-appointments", headers=nurse.headers).json()
    assert missed["missed"][0]["withdrawn_at"] is not None
