"""Issue 10's "done when", as one script: a clinician, only through the real bot process (and the real API
and worker behind it), issues a discharge plan from none at all with the bot restarted in the middle of
its checklist, works the handover checklist of a transfer with the receiving local authority's manager
(who accepts and completes it from their own chat), and reads the chronology of all of it, by ref only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.integration.bot.conftest import ApiServer, BotProcess, restart_bot
from tests.integration.bot.steps import button, everything_sent, press, type_text
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.bot.test_bot_discharge import care_plan, when
from tests.integration.bot.test_bot_e2e import CHAT, link, no_identifiers, say
from tests.integration.bot.test_bot_plans import safety_plan
from tests.integration.bot.test_bot_transfer import move
from tests.integration.conftest import Case, World, add_care_coordinator, audit_events, run_worker

MANAGER_CHAT = 636363


def tick(telegram: TelegramServer, chat: int, item: str, until: str = "Transfer ") -> str:
    """Tick `item` with a note; the bot's answers up to the checklist it shows again."""
    press(telegram, chat, f"trf:t:{item}", "Type a note")
    return type_text(telegram, chat, "Done at the handover meeting.", until)


def test_a_clinician_issues_a_plan_completes_a_handover_and_reads_the_chronology_only_through_the_bot(
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

    # The discharge plan, from none, restarted mid-checklist.
    assert "has no discharge plan yet" in say(telegram, CHAT, f"/discharge {case.ref}")
    assert "- a review date" in press(telegram, CHAT, "dis:new", "Still missing")
    press(telegram, CHAT, "dis:fu", "Which team owns")
    press(telegram, CHAT, button(telegram, CHAT, "RBT-LIA"), "owns it?")
    press(telegram, CHAT, button(telegram, CHAT, "nurse"), "When?")
    type_text(telegram, CHAT, when(30), "Where?")
    restart_bot(bot, telegram, api_server, tmp_path)
    assert "within the first-contact target" in type_text(telegram, CHAT, "Ward 5 day room", "Still missing")
    press(telegram, CHAT, "dis:rev", "review date")
    type_text(telegram, CHAT, "2027-02-01", "Ready to issue.")
    assert "is issued" in press(telegram, CHAT, "dis:issue", "is issued")
    run_worker()  # everyone named in it is told, through the worker, by ref only

    # The handover: the move opens a transfer; the receiving manager accepts and completes it.
    transfer, manager, worker = move(client, case, world)
    link(telegram, MANAGER_CHAT, manager.link_code)
    say(telegram, MANAGER_CHAT, f"/transfer {case.ref}")
    press(telegram, MANAGER_CHAT, "trf:accept", "responsible now: MAN")
    named = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": worker.username, "role": "lead_social_worker"},
        headers=manager.headers,
    )
    assert named.status_code == 201, named.text

    assert f"Transfer {transfer['id']}" in say(telegram, CHAT, f"/transfer {case.ref}")
    refused = tick(telegram, CHAT, "status_confirmed", "Not ticked.")
    assert "confirmed by someone of the receiving LA (MAN)" in refused
    for item in (
        "receiving_lead_social_worker",
        "care_plan_shared",
        "safety_plan_shared",
        "young_persons_views",
    ):
        assert "Ticked." in tick(telegram, CHAT, item), item

    say(telegram, MANAGER_CHAT, f"/transfer {case.ref}")
    tick(telegram, MANAGER_CHAT, "status_confirmed")
    press(telegram, MANAGER_CHAT, "trf:t:transfer_in_conference", "Type a note")
    type_text(telegram, MANAGER_CHAT, "Conference booked", "On which date")
    dated = type_text(telegram, MANAGER_CHAT, "2026-12-14", "Transfer ")  # "Ticked.", then the checklist
    assert "Ticked." in dated and "Nothing required is outstanding." in dated
    assert "Completed." in press(telegram, MANAGER_CHAT, "trf:complete", "Completed.")

    # The chronology of it all, from the clinician's phone.
    page = say(telegram, CHAT, f"/chronology {case.ref} 30")
    for kind in (
        "discharge plan drafted",
        "discharge plan issued",
        "transfer accepted",
        "transfer completed",
    ):
        assert kind in page, kind
    assert f"/young-people/{case.ref}/chronology" in page

    read = client.get(f"/api/v1/transfers/{transfer['id']}", headers=manager.headers).json()
    assert read["status"] == "completed"
    [issued] = audit_events(action="discharge_plan.issued")
    assert issued.via == "bot"
    assert {e.via for e in audit_events(action="transfer.item_ticked")} == {"bot"}
    sent = everything_sent(telegram, CHAT) + everything_sent(telegram, MANAGER_CHAT)
    assert all(no_identifiers(t) for t in sent) and not any("Ward 5" in t for t in sent)
