"""Transfers between local authorities through the API, over the real database, real rq workers and a real
SMTP server: a move tells both authorities, the receiving one sees the record and accepts, the handover
cannot be completed with items outstanding, a transfer nobody accepts is chased once, and an unrelated
authority is refused and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from schemas.enums import Role
from services.kernel.db import session_scope
from services.kernel.worktime.rules import DEFAULT_CALENDAR
from services.notifications.models import Notification
from services.staff.models import User
from services.transfers.models import Transfer
from tests.integration.conftest import Case, Mailbox, Person, World, attendance, audit_events, run_worker
from tests.integration.test_plans import CARE_PLAN
from worker import jobs


@dataclass
class Las:
    cec_lead: Person  # the sending LA's safeguarding lead, with an email (case.lead has none)
    cec_duty: Person
    man_lead: Person
    man_duty: Person
    man_manager: Person
    man_worker: Person
    liv_lead: Person


@pytest.fixture
def las(world: World, case: Case) -> Las:
    world.team("CEC-DUTY", duty=True)
    world.team("MAN-SG", la="MAN")
    world.team("MAN-DUTY", la="MAN", duty=True)
    world.team("MAN-CSC", la="MAN")
    world.team("LIV-SG", la="LIV")
    return Las(
        cec_lead=world.user(
            "cec.lead", role=Role.safeguarding_lead, team="CEC-SG", email="cec.lead@example.org"
        ),
        cec_duty=world.user(
            "cec.duty", role=Role.social_worker, team="CEC-DUTY", email="cec.duty@example.org"
        ),
        man_lead=world.user(
            "man.lead", role=Role.safeguarding_lead, team="MAN-SG", email="man.lead@example.org"
        ),
        man_duty=world.user(
            "man.duty", role=Role.social_worker, team="MAN-DUTY", email="man.duty@example.org"
        ),
        man_manager=world.user("man.tm", role=Role.team_manager, team="MAN-CSC", email="man.tm@example.org"),
        man_worker=world.user("man.sw", role=Role.social_worker, team="MAN-CSC", email="man.sw@example.org"),
        liv_lead=world.user(
            "liv.lead", role=Role.safeguarding_lead, team="LIV-SG", email="liv.lead@example.org"
        ),
    )


def _move(client: TestClient, case: Case, **change: str | None) -> dict[str, Any]:
    moved = client.patch(f"/api/v1/young-people/{case.ref}", json=change, headers=case.lead.headers)
    assert moved.status_code == 200, moved.text
    listed = client.get(f"/api/v1/young-people/{case.ref}/transfers", headers=case.lead.headers)
    assert listed.status_code == 200, listed.text
    newest: dict[str, Any] = listed.json()[0]
    return newest


def _post(client: TestClient, person: Person, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1/transfers/{path}", json=body or {}, headers=person.headers)


def _tick(client: TestClient, person: Person, transfer_id: int, item: str, **extra: str) -> Any:
    return _post(
        client, person, f"{transfer_id}/checklist/{item}", {"note": "Done at the handover meeting.", **extra}
    )


def _chronology(client: TestClient, case: Case, person: Person) -> list[dict[str, Any]]:
    got = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=person.headers)
    assert got.status_code == 200, got.text
    events: list[dict[str, Any]] = got.json()["events"]
    return events


def _text(mail: Any) -> str:
    return str(mail.get_payload(decode=True).decode())


def test_a_move_tells_both_las_duty_teams_and_safeguarding_leads_by_ref_only(
    client: TestClient, case: Case, las: Las, mailbox: Mailbox
) -> None:
    transfer = _move(client, case, residence_la="MAN")
    assert (transfer["from_la"], transfer["to_la"], transfer["changed"]) == ("CEC", "MAN", ["residence"])
    assert (transfer["status"], transfer["responsible_now"]) == ("open", "CEC")
    assert transfer["outstanding"][0] == "accepted"

    run_worker()
    mails = [m for m in mailbox.wait_for(6) if "Transfer between local authorities" in m["Subject"]]
    assert sorted(m["To"] for m in mails) == [
        "cec.duty@example.org",
        "cec.lead@example.org",
        "jo.smith@example.org",  # the care team: the lead social worker
        "man.duty@example.org",
        "man.lead@example.org",
    ]
    for mail in mails:
        text = _text(mail) + mail["Subject"]
        assert case.ref in text
        for secret in ("Alex", "Testperson", "9990000018", "2005-03-14", "CEC", "MAN"):
            assert secret not in text, secret

    opened = [e for e in _chronology(client, case, case.lead) if e["kind"] == "transfer_opened"]
    assert len(opened) == 1
    assert "CEC keeps responsibility until MAN accepts" in opened[0]["summary"]
    assert "the lead social worker (jsmith) stays on the care team" in opened[0]["summary"]
    assert [e.action for e in audit_events(action="transfer.opened")] == ["transfer.opened"]


def test_the_receiving_la_sees_the_record_accepts_and_completes_only_when_nothing_is_outstanding(
    client: TestClient, case: Case, las: Las
) -> None:
    # A change of responsibility only: the young person still lives in CEC, so MAN's team manager sees the
    # record only because the transfer is open, and CEC's lead keeps seeing it for the same reason.
    transfer = _move(client, case, responsible_la="MAN")
    tid = transfer["id"]
    for person in (las.man_manager, las.man_lead, las.cec_lead):
        assert client.get(f"/api/v1/young-people/{case.ref}", headers=person.headers).status_code == 200

    refused = _post(client, las.man_lead, f"{tid}/complete")
    assert refused.status_code == 409
    assert "outstanding: accepted" in refused.json()["detail"]
    assert _post(client, las.cec_lead, f"{tid}/accept").status_code == 403  # not the receiving LA

    accepted = _post(client, las.man_manager, f"{tid}/accept", {"note": "Allocated to the MAN-CSC team."})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["status"], body["accepted_by"], body["responsible_now"]) == ("accepted", "man.tm", "MAN")
    assert body["outstanding"] == [
        "receiving_lead_social_worker",
        "status_confirmed",
        "care_plan_shared",
        "young_persons_views",
        "transfer_in_conference",
    ]
    team = client.get(f"/api/v1/young-people/{case.ref}", headers=las.man_manager.headers).json()["care_team"]
    assert ("jsmith", "lead_social_worker") in [(m["username"], m["role"]) for m in team]  # still there

    early = _tick(client, las.man_manager, tid, "receiving_lead_social_worker")
    assert early.status_code == 409 and "add them first" in early.json()["detail"]
    named = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "man.sw", "role": "lead_social_worker"},
        headers=las.man_manager.headers,
    )
    assert named.status_code == 201, named.text
    assert _tick(client, las.man_manager, tid, "receiving_lead_social_worker").status_code == 200
    assert _tick(client, case.social_worker, tid, "status_confirmed").status_code == 403  # CEC confirms not
    assert _tick(client, las.man_worker, tid, "status_confirmed").status_code == 200
    assert _tick(client, case.social_worker, tid, "care_plan_shared").status_code == 409  # no care plan yet
    made = client.post(
        f"/api/v1/young-people/{case.ref}/care-plan", json=CARE_PLAN, headers=case.social_worker.headers
    )
    assert made.status_code == 201, made.text
    assert _tick(client, case.social_worker, tid, "care_plan_shared").status_code == 200
    assert _tick(client, las.man_worker, tid, "young_persons_views").status_code == 200
    assert _tick(client, las.man_lead, tid, "transfer_in_conference").status_code == 422  # needs the date
    assert _tick(client, las.man_lead, tid, "accepted").status_code == 422  # acceptance is POST /accept
    assert _tick(client, las.man_lead, tid, "no_such_item").status_code == 422

    still = _post(client, las.man_lead, f"{tid}/complete")
    assert still.status_code == 409
    assert still.json()["detail"].endswith(
        "outstanding: transfer_in_conference (transfer-in child protection conference date set)"
    )
    dated = _tick(client, las.man_lead, tid, "transfer_in_conference", date="2026-12-14")
    assert dated.status_code == 200
    item = next(i for i in dated.json()["checklist"] if i["item"] == "transfer_in_conference")
    assert (item["done"], item["ticked_by"], item["date"]) == (True, "man.lead", "2026-12-14")

    done = _post(client, las.man_lead, f"{tid}/complete", {"note": "Handover meeting held."})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outstanding"]) == ("completed", [])
    kinds = [e["kind"] for e in _chronology(client, case, las.man_lead) if e["kind"].startswith("transfer_")]
    assert kinds == [
        "transfer_opened",
        "transfer_accepted",
        *["transfer_item_ticked"] * 5,
        "transfer_completed",
    ]
    # With the transfer over, CEC's lead no longer sees a young person who is neither CEC's nor lives there.
    assert client.get(f"/api/v1/young-people/{case.ref}", headers=las.cec_lead.headers).status_code == 403
    assert [e.outcome for e in audit_events(action="transfer.complete")] == ["refused", "refused"]
    assert [e.actor_username for e in audit_events(action="transfer.completed")] == ["man.lead"]
    assert [e.actor_username for e in audit_events(action="transfer.accept", outcome="denied")] == [
        "cec.lead"
    ]


def test_a_transfer_nobody_accepts_is_chased_once_to_both_las_safeguarding_leads(
    client: TestClient, case: Case, las: Las, mailbox: Mailbox
) -> None:
    transfer = _move(client, case, residence_la="MAN")
    run_worker()
    mailbox.wait_for(6)
    mailbox.messages.clear()
    opened = datetime.fromisoformat(transfer["opened_at"])
    due = DEFAULT_CALENDAR.add_working_days(opened, 5)

    assert jobs.chase_transfers(now=due - timedelta(minutes=1)) == 0
    assert jobs.chase_transfers(now=due) == 2  # a delivery for each safeguarding lead with a channel
    assert jobs.chase_transfers(now=due + timedelta(hours=3)) == 0  # the same threshold: told once
    run_worker()
    mails = mailbox.wait_for(2)
    assert sorted((m["To"], m["Subject"]) for m in mails) == [
        ("cec.lead@example.org", f"[liaison] Transfer not accepted: {case.ref} - please acknowledge"),
        ("man.lead@example.org", f"[liaison] Transfer not accepted: {case.ref} - please acknowledge"),
    ]
    assert all("Alex" not in _text(m) and "MAN" not in _text(m) for m in mails)
    with session_scope() as session:
        told = session.scalars(
            select(Notification.recipient_role).where(Notification.kind == "transfer_overdue")
        )
        assert sorted(told) == ["safeguarding_lead"] * 3  # case.lead has no channel: recorded, not sent
    read = client.get(f"/api/v1/transfers/{transfer['id']}", headers=las.man_lead.headers).json()
    assert read["chased"] == 1
    overdue = [e for e in _chronology(client, case, case.lead) if e["kind"] == "transfer_overdue"]
    assert len(overdue) == 1 and "not accepted after 5 working days" in overdue[0]["summary"]

    assert _post(client, las.man_lead, f"{transfer['id']}/accept").status_code == 200
    assert (
        jobs.chase_transfers(now=DEFAULT_CALENDAR.add_working_days(opened, 10)) == 0
    )  # accepted: nothing more to chase
    run_worker()
    assert not [m for m in mailbox.messages if "not accepted" in m["Subject"]][2:]


def test_an_unrelated_la_is_refused_everywhere_and_audited(client: TestClient, case: Case, las: Las) -> None:
    transfer = _move(client, case, residence_la="MAN")
    tid = transfer["id"]
    stranger = las.liv_lead
    assert client.get(f"/api/v1/young-people/{case.ref}", headers=stranger.headers).status_code == 403
    assert (
        client.get(f"/api/v1/young-people/{case.ref}/transfers", headers=stranger.headers).status_code == 403
    )
    assert client.get(f"/api/v1/transfers/{tid}", headers=stranger.headers).status_code == 403
    assert _post(client, stranger, f"{tid}/accept").status_code == 403
    assert _tick(client, stranger, tid, "camhs").status_code == 403
    denied = audit_events(outcome="denied", actor_username="liv.lead")
    assert [e.action for e in denied] == [
        "young_person.read",
        "transfer.list",
        "transfer.read",
        "transfer.accept",
        "transfer.tick",
    ]
    assert all(e.young_person_ref == case.ref for e in denied)
    assert client.get(f"/api/v1/transfers/{tid}", headers=las.man_lead.headers).status_code == 200
    assert [e.actor_username for e in audit_events(action="transfer.read", outcome="allowed")] == ["man.lead"]


def test_declined_means_the_sending_la_keeps_responsibility_and_a_new_move_supersedes(
    client: TestClient, case: Case, las: Las
) -> None:
    first = _move(client, case, residence_la="MAN")
    declined = _post(
        client, las.man_lead, f"{first['id']}/decline", {"reason": "Not ordinarily resident here."}
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["responsible_now"]) == ("declined", "CEC")
    assert _post(client, las.man_lead, f"{first['id']}/accept").status_code == 409
    summary = [e for e in _chronology(client, case, case.lead) if e["kind"] == "transfer_declined"][0][
        "summary"
    ]
    assert "Not ordinarily resident here." in summary and "CEC keeps responsibility" in summary

    second = _move(client, case, residence_la="LIV")
    third = _move(client, case, residence_la=None)  # back home before LIV decided: LIV's is withdrawn
    assert (third["from_la"], third["to_la"]) == ("LIV", "CEC")
    statuses = client.get(f"/api/v1/young-people/{case.ref}/transfers", headers=case.lead.headers).json()
    assert [(t["id"], t["status"]) for t in statuses] == [
        (third["id"], "open"),
        (second["id"], "withdrawn"),
        (first["id"], "declined"),
    ]
    assert "superseded by a later move from LIV to CEC" in statuses[1]["end_note"]


def test_attendance_alerts_reach_the_receiving_las_duty_team_while_responsibility_is_moving(
    client: TestClient, case: Case, las: Las
) -> None:
    _move(client, case, responsible_la="MAN")
    posted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert posted.status_code == 202, posted.text
    with session_scope() as session:
        told = sorted(
            (username, role)
            for username, role in session.execute(
                select(User.username, Notification.recipient_role)
                .join(User, User.id == Notification.recipient_id)
                .where(Notification.kind == "attendance")
            )
        )
    # The sending LA's lead social worker is still on the care team; the receiving LA has nobody on it yet.
    assert told == [("jsmith", "lead_social_worker"), ("man.duty", "duty")]


def test_a_transfer_opened_on_the_thursday_before_easter_is_chased_after_five_working_days(
    client: TestClient, case: Case, las: Las, mailbox: Mailbox
) -> None:
    transfer = _move(client, case, residence_la="MAN")
    run_worker()
    mailbox.wait_for(6)
    mailbox.messages.clear()
    maundy_thursday = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)  # 11:00 BST
    with session_scope() as session:  # time travel: opened before the Easter bank holidays
        session.execute(
            update(Transfer).where(Transfer.id == transfer["id"]).values(opened_at=maundy_thursday)
        )

    # Monday to Friday alone would chase on Thursday 9th; Good Friday and Easter Monday are not working days
    assert jobs.chase_transfers(now=datetime(2026, 4, 9, 10, 0, tzinfo=UTC)) == 0
    assert jobs.chase_transfers(now=datetime(2026, 4, 10, 16, 0, tzinfo=UTC)) == 0
    assert jobs.chase_transfers(now=datetime(2026, 4, 13, 9, 59, tzinfo=UTC)) == 0
    assert jobs.chase_transfers(now=datetime(2026, 4, 13, 10, 0, tzinfo=UTC)) == 2  # Monday 13th, 11:00 BST
    run_worker()
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["cec.lead@example.org", "man.lead@example.org"]
    overdue = [e for e in _chronology(client, case, case.lead) if e["kind"] == "transfer_overdue"]
    assert len(overdue) == 1 and "not accepted after 5 working days" in overdue[0]["summary"]
    # the next period counts from the opening too: ten working days is Monday 20th
    assert jobs.chase_transfers(now=datetime(2026, 4, 20, 9, 59, tzinfo=UTC)) == 0
    assert jobs.chase_transfers(now=datetime(2026, 4, 20, 10, 0, tzinfo=UTC)) == 2
