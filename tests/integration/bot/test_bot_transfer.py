"""/transfer and /chronology end to end: the receiving local authority's manager accepts a transfer and
works its handover checklist through the real bot process and the real API (the bot restarted while a
note is being typed), the sending one is refused what it may not do, a decline asks for a reason; then
the chronology is read a page at a time, by ref only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.bot.conftest import ApiServer, BotProcess, restart_bot, start_bot, stop_bot
from tests.integration.bot.steps import everything_sent, keyboard_message, press, type_text
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.bot.test_bot_discharge import care_plan
from tests.integration.bot.test_bot_e2e import CHAT, STRANGER, link, no_identifiers, say
from tests.integration.conftest import YOUNG_PERSON, Case, Person, World, attendance, audit_events

SENDING_CHAT = 626262
NOTE = "Spoke to Dr Okafor at the Oak Lane practice"


def move(client: TestClient, case: Case, world: World) -> tuple[dict[str, Any], Person, Person]:
    """Responsibility moves to MAN: a transfer opens. Its team manager and a MAN social worker."""
    world.team("MAN-SG", la="MAN")
    world.team("MAN-CSC", la="MAN")
    manager = world.user("man.tm", role=Role.team_manager, team="MAN-CSC")
    worker = world.user("man.sw", role=Role.social_worker, team="MAN-CSC")
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}", json={"responsible_la": "MAN"}, headers=case.lead.headers
    )
    assert moved.status_code == 200, moved.text
    [transfer] = client.get(f"/api/v1/young-people/{case.ref}/transfers", headers=case.lead.headers).json()
    return transfer, manager, worker


def tick(telegram: TelegramServer, item: str, note: str = "Done at the handover meeting.") -> str:
    press(telegram, CHAT, f"trf:t:{item}", "Type a note")
    return type_text(telegram, CHAT, note, "Transfer ")


def test_the_receiving_manager_accepts_and_completes_the_handover_through_the_bot_across_a_restart(
    client: TestClient,
    case: Case,
    world: World,
    telegram: TelegramServer,
    bot: BotProcess,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    transfer, manager, worker = move(client, case, world)
    care_plan(client, case, case.social_worker)
    link(telegram, CHAT, manager.link_code)
    link(telegram, SENDING_CHAT, case.lead.link_code)

    shown = say(telegram, CHAT, f"/transfer {case.ref}")
    assert f"Transfer {transfer['id']} for {case.ref}: CEC to MAN, open (responsible now: CEC)" in shown
    assert "✗ " in shown and "Outstanding:" in shown
    data = [b["callback_data"] for row in keyboard_message(telegram, CHAT).keyboard() for b in row]
    assert "trf:accept" in data and "trf:decline" in data and "trf:t:accepted" not in data

    say(telegram, SENDING_CHAT, f"/transfer {case.ref}")
    refused = press(telegram, SENDING_CHAT, "trf:accept", "Not accepted.")
    assert "only a safeguarding lead or team manager of the local authority may accept" in refused
    [denied] = audit_events(action="transfer.accept", outcome="denied")
    assert (denied.actor_username, denied.via) == ("lead", "bot")

    early = press(telegram, CHAT, "trf:complete", "Transfer ")
    assert "Not completed." in early and "outstanding:\n- accepted" in early
    accepted = press(telegram, CHAT, "trf:accept", "responsible now: MAN")
    assert "Accepted." in accepted and "accepted (responsible now: MAN)" in accepted

    assert "add them first" in tick(telegram, "receiving_lead_social_worker")
    named = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": worker.username, "role": "lead_social_worker"},
        headers=manager.headers,
    )
    assert named.status_code == 201, named.text
    assert "Ticked." in tick(telegram, "receiving_lead_social_worker")
    for item in ("status_confirmed", "care_plan_shared"):
        assert "Ticked." in tick(telegram, item, NOTE), item

    press(telegram, CHAT, "trf:t:young_persons_views", "Type a note")
    restart_bot(bot, telegram, api_server, tmp_path)  # mid-checklist: the note still ticks the item
    assert "Ticked." in type_text(telegram, CHAT, "They want to keep their school", "Transfer ")

    press(telegram, CHAT, "trf:t:transfer_in_conference", "Type a note")
    type_text(telegram, CHAT, "Conference booked", "On which date")
    type_text(telegram, CHAT, "soon", "Not a date")
    dated = type_text(telegram, CHAT, "2026-12-14", "Transfer ")
    assert "Nothing required is outstanding." in dated and "on 14 Dec 2026" in dated
    done = press(telegram, CHAT, "trf:complete", "completed (responsible now: MAN)")
    assert "Completed." in done

    read = client.get(f"/api/v1/transfers/{transfer['id']}", headers=manager.headers).json()
    assert (read["status"], read["outstanding"]) == ("completed", [])
    ticked = [i for i in read["checklist"] if i["item"] == "care_plan_shared"]
    assert ticked[0]["note"] == NOTE and ticked[0]["ticked_by"] == "man.tm"
    assert {e.via for e in audit_events(action="transfer.completed")} == {"bot"}
    sent = everything_sent(telegram, CHAT) + everything_sent(telegram, SENDING_CHAT)
    assert all(no_identifiers(t) for t in sent)
    assert not any(w in t for t in sent for w in ("Okafor", "Oak Lane", "keep their school"))


def test_a_decline_asks_for_its_reason_and_a_stranger_learns_nothing(
    client: TestClient, case: Case, world: World, telegram: TelegramServer, bot: BotProcess
) -> None:
    transfer, manager, _worker = move(client, case, world)
    world.team("RBT-PSY", la=None)
    outsider = world.user("doc", role=Role.clinician, team="RBT-PSY")
    link(telegram, STRANGER, outsider.link_code)
    for command in (f"/transfer {case.ref}", f"/chronology {case.ref}"):
        assert say(telegram, STRANGER, command) == (
            f"{case.ref} is not a young person in your care teams (or the ref is wrong)."
        )
    assert audit_events(action="transfer.list", outcome="denied", actor_username="doc")

    link(telegram, CHAT, manager.link_code)
    say(telegram, CHAT, f"/transfer {case.ref}")
    press(telegram, CHAT, "trf:decline", "Type the reason")
    type_text(telegram, CHAT, "No", "type the reason again")
    declined = type_text(telegram, CHAT, "She is staying with her mother in CEC", "Transfer ")
    assert "Declined." in declined and "declined (responsible now: CEC)" in declined
    [event] = audit_events(action="transfer.declined")
    assert (event.actor_username, event.via, event.detail["transfer_id"]) == ("man.tm", "bot", transfer["id"])


def test_chronology_pages_back_by_ref_only_with_a_link_to_the_web_page(
    client: TestClient,
    case: Case,
    world: World,
    telegram: TelegramServer,
    bot: BotProcess,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    for n in range(3):
        sent = client.post("/api/v1/attendances", json=attendance(f"V000{n}"), headers=case.hospital.headers)
        assert sent.status_code == 202, sent.text
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    total = len(events["events"])
    assert total >= 4
    link(telegram, CHAT, case.social_worker.link_code)

    page = say(telegram, CHAT, f"/chronology {case.ref} 2")
    assert f"Chronology of {case.ref}: events {total - 1}-{total} of {total}" in page
    assert page.count("\n") == 3  # heading, two events, the link
    assert f"/young-people/{case.ref}/chronology" in page
    [[older]] = keyboard_message(telegram, CHAT).keyboard()
    assert older["callback_data"] == f"chr:{case.ref}:2:2"
    restart_bot(bot, telegram, api_server, tmp_path)  # the button keeps no state: it works after a restart
    second = press(telegram, CHAT, older["callback_data"], "Chronology of")
    assert f"events {total - 3}-{total - 2} of {total}" in second
    lines = (page + "\n" + second).splitlines()
    assert all(re.fullmatch(r"\d\d \w{3} \d{4} \d\d:\d\d [a-z ]+", line) for line in lines[1:3] + lines[5:7])
    assert "RBT" not in page + second  # no site, no summary under minimal
    assert [e.via for e in audit_events(action="chronology.read", actor_username="jsmith")] == ["bot"] * 2
    assert "1 to 50" in say(telegram, CHAT, f"/chronology {case.ref} 99")
    assert all(no_identifiers(t) for t in everything_sent(telegram, CHAT))


def test_named_chronology_adds_the_name_and_never_an_events_clinical_summary(
    client: TestClient,
    case: Case,
    telegram: TelegramServer,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    sent = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert sent.status_code == 202, sent.text
    named = start_bot(telegram, api_server, tmp_path, CHAT_DETAIL="named")
    try:
        link(telegram, CHAT, case.social_worker.link_code)
        page = say(telegram, CHAT, f"/chronology {case.ref} 50")
    finally:
        stop_bot(named)
    assert page.startswith(f"Chronology of {case.ref} (Alex Testperson): events 1-")
    assert " attendance\n" in page
    assert "overdose" not in page and "RBT" not in page  # the attendance's reasons and site stay out
    assert YOUNG_PERSON["nhs_number"] not in page and YOUNG_PERSON["date_of_birth"] not in page
    assert [e.via for e in audit_events(action="young_person.read")] == ["bot"]
