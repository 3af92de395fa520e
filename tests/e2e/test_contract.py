"""The integration contract, v1, checked as the outside parties see it: one real `liaison run` stack in a
temporary folder (a SQLite file and the embedded Redis, or DATABASE_URL/REDIS_URL when the suite runs on
PostgreSQL), the `liaison` CLI as a subprocess, HTTP with httpx, HL7 v2 over a raw MLLP socket, a mailbox
(aiosmtpd), a webhook receiver, and a Bot API test server that both the bot and the worker talk to.

The tests share the stack and run in file order: set-up, people, alerts, intake, configuration."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis import Redis

from tests.e2e.peers import (
    BOT_TOKEN,
    MllpClient,
    Stack,
    WebhookReceiver,
    bot_api_server,
    eventually,
    fixture_bytes,
    listening,
    msa,
    smtp_mailbox,
    stack_env,
    webhook_receiver,
)
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.conftest import Mailbox

# One stack for the module, its tests in file order: under xdist they stay on one worker (tests/conftest.py).
pytestmark = [pytest.mark.integration, pytest.mark.stack]

ALEX = {
    "nhs_number": "9990000018",
    "given_name": "Alex",
    "family_name": "Testperson",
    "date_of_birth": "2005-03-14",
    "responsible_la": "CEC",
    "statuses": ["cp_plan"],
}
IDENTIFIERS = ("Alex", "Testperson", "TESTPERSON", "9990000018", "999 000 0018", "2005-03-14", "20050314")
JO_CHAT, STRANGER_CHAT = 610001, 610002


@dataclass
class World:
    stack: Stack
    mailbox: Mailbox
    webhook: WebhookReceiver
    telegram: TelegramServer
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    ref: str = ""

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.users[name]['token']}"}

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.stack.api, timeout=15)

    def attendance_alerts(self, http: httpx.Client, name: str, **params: str) -> list[dict[str, Any]]:
        """The attendance alerts sent to `name`, as `name` lists them."""
        found = http.get("/api/v1/notifications", params=params, headers=self.auth(name))
        assert found.status_code == 200, found.text
        return [n for n in found.json() if n["kind"] == "attendance" and n["recipient"] == name]

    def events(self, http: httpx.Client, kind: str) -> list[dict[str, Any]]:
        chronology = http.get(f"/api/v1/young-people/{self.ref}/chronology", headers=self.auth("lead"))
        assert chronology.status_code == 200, chronology.text
        return [e for e in chronology.json()["events"] if e["kind"] == kind]


def no_identifiers(text: str) -> bool:
    return not any(i.lower() in text.lower() for i in IDENTIFIERS)


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    configured = os.environ.get("DATABASE_URL", "")
    database_url = redis_url = None
    if configured and not configured.startswith("sqlite"):  # the suite runs on PostgreSQL: so does the stack
        database = request.getfixturevalue("database")  # this xdist worker's own database and Redis db
        database.reset()
        redis_url = request.getfixturevalue("redis_url")
        Redis.from_url(redis_url).flushdb()
        database_url = database.url
    with smtp_mailbox() as (mailbox, smtp_port), webhook_receiver() as webhook, bot_api_server() as telegram:
        env = stack_env(
            database_url=database_url,
            redis_url=redis_url,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE_URL=telegram.url,
        )
        stack = Stack(tmp_path_factory.mktemp("stack"), env)
        try:
            stack.wait_ready()
            telegram.wait_for(lambda: telegram.sent("setMyCommands"), "the bot to start", timeout=90)
            yield World(stack, mailbox, webhook, telegram)
        finally:
            stack.stop()
    assert "Traceback" not in stack.output(), stack.output()


def test_the_stack_serves_api_and_mllp_on_the_ports_given_and_health_needs_no_token(world: World) -> None:
    stack = world.stack
    assert listening(stack.port) and listening(stack.mllp_port)
    assert f"HL7 v2 MLLP      127.0.0.1:{stack.mllp_port}" in stack.lines
    assert any(f"http://127.0.0.1:{stack.port}" in line for line in stack.lines)
    if "DATABASE_URL" not in stack.env:  # embedded defaults: a SQLite file here and a Redis it started
        assert (stack.folder / "liaison.db").exists()
        assert any(line.startswith("redis") and "embedded" in line for line in stack.lines)
    with world.http() as http:
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
        paths = http.get("/openapi.json").json()["paths"]
        for path in (
            "/api/v1/young-people",
            "/api/v1/young-people/{ref}",
            "/api/v1/young-people/{ref}/care-team",
            "/api/v1/young-people/{ref}/chronology",
            "/api/v1/attendances",
            "/api/v1/hl7/v2",
            "/api/v1/fhir/Encounter",
            "/api/v1/notifications",
            "/api/v1/notifications/{notification_id}/acknowledge",
        ):
            assert path in paths, path
        assert "text/html" in http.get("/docs").headers["content-type"]
        for headers in ({}, {"Authorization": "Bearer lia_not-a-token"}, {"Authorization": "Basic eDp5"}):
            refused = http.get("/api/v1/notifications", headers=headers)
            assert refused.status_code == 401 and refused.json()["detail"], headers


def test_cli_sets_up_teams_and_users_printing_one_json_object_each(world: World) -> None:
    stack = world.stack
    for code, agency, extra in (
        ("CEC-CSC", "social_care", ["--la", "CEC"]),
        ("CEC-SG", "social_care", ["--la", "CEC"]),
        ("CEC-EDT", "emergency_duty", ["--la", "CEC", "--duty", "--out-of-hours"]),
        ("GP-P81", "gp", []),
        ("RBT-ED", "acute_liaison", []),
        ("OTH-CSC", "social_care", ["--la", "OTH"]),
    ):
        team = stack.cli_json("team", "add", code, "--name", f"Team {code}", "--agency", agency, *extra)
        assert team["code"] == code
        assert team["is_out_of_hours"] is (code == "CEC-EDT")
    nowhere = stack.cli(
        "team", "add", "EDT-X", "--name", "X", "--agency", "emergency_duty", "--out-of-hours", check=False
    )
    assert nowhere.returncode != 0 and "la_code" in nowhere.stderr and "Traceback" not in nowhere.stderr
    for name, role, team, extra in (
        ("lead", "safeguarding_lead", "CEC-SG", []),
        ("jsmith", "social_worker", "CEC-CSC", ["--email", "jo.smith@example.org"]),
        ("drgp", "clinician", "GP-P81", ["--webhook", world.webhook.url + "/alerts"]),
        ("edsys", "integration", "RBT-ED", []),
        ("outsider", "social_worker", "OTH-CSC", ["--email", "out@example.org"]),
    ):
        user = stack.cli_json(
            "user", "add", name, "--name", name.title(), "--role", role, "--team", team, *extra
        )
        assert user["username"] == name and user["token"] and user["link_code"], user
        world.users[name] = user
    assert len({u["token"] for u in world.users.values()}) == len(world.users)
    bad = stack.cli("user", "add", "x", "--name", "X", "--role", "wizard", "--team", "CEC-CSC", check=False)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_young_people_care_teams_and_access(world: World) -> None:
    with world.http() as http:
        created = http.post("/api/v1/young-people", json=ALEX, headers=world.auth("lead"))
        assert created.status_code == 201, created.text
        ref = world.ref = created.json()["ref"]
        assert no_identifiers(ref) and "0018" not in ref and "2005" not in ref
        again = http.post("/api/v1/young-people", json=ALEX, headers=world.auth("lead"))
        assert again.status_code == 409 and again.json()["ref"] == ref

        for body in (
            {**ALEX, "nhs_number": "9990000019"},  # fails modulus 11
            {**ALEX, "nhs_number": "12345"},
            {**ALEX, "statuses": ["wanted"]},
            {k: v for k, v in ALEX.items() if k != "given_name"},
        ):
            bad = http.post("/api/v1/young-people", json=body, headers=world.auth("lead"))
            assert bad.status_code == 422 and bad.json()["detail"], body
        broken = http.post(
            "/api/v1/young-people",
            content=b"{not json",
            headers={**world.auth("lead"), "content-type": "application/json"},
        )
        assert 400 <= broken.status_code < 500 and broken.json()["detail"]

        url = f"/api/v1/young-people/{ref}"
        for name, role in (("jsmith", "lead_social_worker"), ("drgp", "gp")):
            added = http.post(
                f"{url}/care-team", json={"username": name, "role": role}, headers=world.auth("lead")
            )
            assert added.status_code == 201, added.text
        wrong_role = http.post(
            f"{url}/care-team", json={"username": "outsider", "role": "wizard"}, headers=world.auth("lead")
        )
        assert wrong_role.status_code == 422 and wrong_role.json()["detail"]

        assert http.get(url, headers=world.auth("jsmith")).json()["nhs_number"] == "9990000018"
        assert http.get(url).status_code == 401
        for name in ("outsider", "edsys"):
            assert http.get(url, headers=world.auth(name)).status_code in (403, 404)
            assert http.get(f"{url}/chronology", headers=world.auth(name)).status_code in (403, 404)
        assert http.get("/api/v1/young-people/YP-NOPE0-NOPE0", headers=world.auth("lead")).status_code == 404

        moved = http.patch(url, json={"residence_la": "CEC"}, headers=world.auth("lead"))
        assert moved.status_code == 200 and moved.json()["residence_la"] == "CEC"
        events = http.get(f"{url}/chronology", headers=world.auth("jsmith")).json()["events"]
        assert [e["kind"] for e in events][:1] == ["registered"] and any(e["kind"] == "moved" for e in events)
        assert all({"at", "kind", "summary"} <= set(e) for e in events)
        assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_telegram_links_with_start_and_refuses_unlinked_chats(world: World) -> None:
    telegram = world.telegram

    def reply(chat: int, text: str) -> str:
        before = len(telegram.sent("sendMessage", chat))
        telegram.send_text(chat, text)
        return str(telegram.wait_for_messages(chat, before + 1)[before].text)

    assert "not linked" in reply(STRANGER_CHAT, "hello").lower()
    assert "not linked" in reply(STRANGER_CHAT, "/pending").lower()
    assert [c.method for c in telegram.calls if c.chat_id == STRANGER_CHAT] == ["sendMessage"] * 2
    assert "Linked" in reply(JO_CHAT, f"/start {world.users['jsmith']['link_code']}")
    with world.http() as http:
        assert http.get("/api/v1/me", headers=world.auth("jsmith")).json()["telegram_linked"] is True


def test_an_attendance_alerts_each_member_on_their_channels_and_acknowledges_once(world: World) -> None:
    body = {
        "nhs_number": "9990000018",
        "arrived_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),  # not yet due a reminder
        "site_code": "RBT",
        "setting": "emergency_department",
        "reasons": ["overdose"],
        "source": "RBT-EDIS",
        "source_id": "JSON-0001",
    }
    with world.http() as http:
        for bad in ({**body, "nhs_number": "9990000019"}, {**body, "arrived_at": "2026-11-28T09:25:00"}):
            refused = http.post("/api/v1/attendances", json=bad, headers=world.auth("edsys"))
            assert refused.status_code == 422 and refused.json()["detail"]
        accepted = http.post("/api/v1/attendances", json=body, headers=world.auth("edsys"))
        assert accepted.status_code == 202, accepted.text
        answer = accepted.json()
        assert answer["young_person_ref"] == world.ref and answer["notifications_queued"] == 2
        repeat = http.post("/api/v1/attendances", json=body, headers=world.auth("edsys"))
        assert repeat.status_code == 200 and repeat.json()["id"] == answer["id"]
        assert repeat.json()["notifications_queued"] == 0
        unknown = {**body, "nhs_number": "9990000034", "source_id": "JSON-0002"}
        not_registered = http.post("/api/v1/attendances", json=unknown, headers=world.auth("edsys"))
        assert not_registered.status_code == 202 and not_registered.json()["id"] is None

        # Email, webhook and Telegram: each names the young person by ref only.
        def attendance_mails() -> list[Any]:
            return [m for m in world.mailbox.messages if "Acute attendance" in m["Subject"]]

        [mail] = eventually(attendance_mails, "the email", 30)
        assert mail["To"] == "jo.smith@example.org" and world.ref in mail["Subject"]
        assert no_identifiers(mail.as_string())
        [hook] = eventually(lambda: world.webhook.received, "the webhook", 30)
        assert world.ref in hook.body.decode() and no_identifiers(hook.body.decode())
        [alert] = world.telegram.wait_for_messages(JO_CHAT, 2, timeout=30)[1:]
        assert world.ref in alert.text and no_identifiers(alert.text)
        [[button]] = alert.keyboard()

        [jo_alert] = world.attendance_alerts(http, "jsmith", young_person=world.ref)
        assert jo_alert["attendance_id"] == answer["id"] and jo_alert["recipient"] == "jsmith"
        for key in ("id", "young_person_ref", "status", "created_at", "acknowledged_at", "acknowledged_by"):
            assert key in jo_alert, key
        channels = {d["channel"] for d in jo_alert["deliveries"]}
        assert channels == {"email", "telegram"}
        for delivery in jo_alert["deliveries"]:
            assert {"channel", "status", "attempts", "last_error"} <= set(delivery)

        # The button acknowledges as Jo; then Jo's own HTTP acknowledgement is a harmless repeat.
        world.telegram.press(JO_CHAT, button["callback_data"])

        def acknowledged() -> dict[str, Any] | None:
            [n] = world.attendance_alerts(http, "jsmith", young_person=world.ref)
            return n if n["status"] == "acknowledged" else None

        first = eventually(acknowledged, "the button to acknowledge", 20)
        assert first["acknowledged_by"] == "jsmith" and first["acknowledged_at"]
        again = http.post(f"/api/v1/notifications/{first['id']}/acknowledge", headers=world.auth("jsmith"))
        assert again.status_code == 200 and again.json()["acknowledged_at"] == first["acknowledged_at"]
        mine = world.attendance_alerts(http, "jsmith", status="acknowledged")
        assert [n["id"] for n in mine] == [first["id"]]

        [gp_alert] = world.attendance_alerts(http, "drgp", young_person=world.ref)
        assert http.post(
            f"/api/v1/notifications/{gp_alert['id']}/acknowledge", headers=world.auth("outsider")
        ).status_code in (403, 404)
        for colleague in ("jsmith", "lead"):  # on the care team, or the LA's lead: not theirs to acknowledge
            refused = http.post(
                f"/api/v1/notifications/{gp_alert['id']}/acknowledge", headers=world.auth(colleague)
            )
            assert refused.status_code == 403, refused.text
        assert (
            http.get(
                "/api/v1/notifications", params={"status": "bogus"}, headers=world.auth("drgp")
            ).status_code
            == 422
        )
        assert (
            http.post(
                f"/api/v1/notifications/{gp_alert['id']}/acknowledge", headers=world.auth("drgp")
            ).status_code
            == 200
        )
        assert len(attendance_mails()) == 1 and len(world.webhook.received) == 1  # the repeat told nobody

        kinds = {
            e["kind"]
            for e in http.get(
                f"/api/v1/young-people/{world.ref}/chronology", headers=world.auth("lead")
            ).json()["events"]
        }
        assert {"attendance", "acknowledged"} <= kinds


def hl7_over_http(http: httpx.Client, world: World, name: str) -> tuple[int, list[str]]:
    answer = http.post(
        "/api/v1/hl7/v2",
        content=fixture_bytes(f"hl7/{name}"),
        headers={**world.auth("edsys"), "content-type": "x-application/hl7-v2+er7"},
    )
    return answer.status_code, msa(answer.content)


def test_hl7_fixtures_over_http_and_mllp_get_the_contracted_acks(world: World) -> None:
    with world.http() as http:
        alerts = len(world.attendance_alerts(http, "jsmith"))
        attendances = len(world.events(http, "attendance"))

        status, (code, control_id, _) = hl7_over_http(http, world, "a04-ed-attendance.hl7")
        assert (status, code, control_id) == (200, "AA", "MSG0001")
        eventually(lambda: len(world.attendance_alerts(http, "jsmith")) == alerts + 1, "the HL7 alert")

        mllp = MllpClient(world.stack.mllp_port)
        assert msa(mllp.exchange(fixture_bytes("hl7/a04-ed-attendance-repeat.hl7")))[:2] == ["AA", "MSG0001"]
        assert msa(mllp.exchange(fixture_bytes("hl7/a01-admission.hl7")))[:2] == ["AA", "MSG0002"]
        settings = [e["detail"]["setting"] for e in world.events(http, "attendance")]
        assert settings.count("inpatient_admission") == 1
        assert msa(mllp.exchange(fixture_bytes("hl7/a03-discharge.hl7")))[:2] == ["AA", "MSG0003"]
        assert len(world.events(http, "discharged")) == 1
        assert len(world.events(http, "attendance")) == attendances + 2

        for name, codes in (
            ("bad-nhs-number.hl7", {"AE", "AR"}),
            ("bad-no-pid.hl7", {"AE", "AR"}),
            ("bad-unsupported-type.hl7", {"AR"}),
        ):
            code, _, reason = msa(mllp.exchange(fixture_bytes(f"hl7/{name}")))
            assert code in codes and reason, (name, code, reason)
        mllp.send_raw(b"\x0b" + fixture_bytes("hl7/bad-not-hl7.hl7") + b"\x1c\x0d")
        not_hl7 = mllp.read_ack()
        assert not_hl7 is None or msa(not_hl7)[0] == "AR"
        mllp.close()
        garbled = MllpClient(world.stack.mllp_port)  # bad framing: no 0x0B
        garbled.send_raw(b"MSH|^~\\&|nonsense\x1c\x0d")
        answer = garbled.read_ack()
        assert answer is None or msa(answer)[0] == "AR"
        garbled.close()

        # The listener keeps serving after all that.
        second = MllpClient(world.stack.mllp_port)
        assert msa(second.exchange(fixture_bytes("hl7/a04-second-child.hl7")))[:2] == ["AA", "MSG0005"]
        second.close()
        assert len(world.events(http, "attendance")) == attendances + 2  # nothing kept from the bad ones

        status, (code, control_id, _) = hl7_over_http(http, world, "a11-cancel-attendance.hl7")
        assert (status, code, control_id) == (200, "AA", "MSG0004")
        assert len(world.events(http, "attendance_cancelled")) == 1
        told = [
            n
            for n in http.get("/api/v1/notifications", headers=world.auth("jsmith")).json()
            if n["kind"] == "attendance_cancelled"
        ]
        assert sorted(n["recipient"] for n in told) == ["drgp", "jsmith"]  # everyone alerted of it
        assert {n["young_person_ref"] for n in told} == {world.ref}
        status, (code, *_) = hl7_over_http(http, world, "bad-not-hl7.hl7")
        assert 400 <= status < 500 and code == "AR"


def test_fhir_encounter_intake_answers_with_operation_outcomes(world: World) -> None:
    url = "/api/v1/fhir/Encounter"
    encounter = json.loads(fixture_bytes("fhir/encounter-ed.json"))
    fhir_json = {"content-type": "application/fhir+json"}

    def outcome(answer: httpx.Response) -> str:
        body = answer.json()
        assert body["resourceType"] == "OperationOutcome", body
        return str(body["issue"][0].get("details", {}).get("coding", [{}])[0].get("code", ""))

    with world.http() as http:
        attendances = len(world.events(http, "attendance"))
        first = http.post(url, json=encounter, headers={**world.auth("edsys"), **fhir_json})
        assert first.status_code == 201 and outcome(first) == "recorded", first.text
        assert len(world.events(http, "attendance")) == attendances + 1
        repeat = http.post(url, json=encounter, headers={**world.auth("edsys"), **fhir_json})
        assert repeat.status_code == 200 and outcome(repeat) == "duplicate"

        unauthorised = http.post(url, json=encounter, headers=fhir_json)
        assert unauthorised.status_code == 401
        outcome(unauthorised)
        bad_nhs = json.loads(json.dumps(encounter).replace("9990000018", "9990000019"))
        bad_nhs["identifier"][0]["value"] = "RBT-ED-V0999"
        other_class = {**encounter, "class": {**encounter["class"], "code": "AMB"}}
        for body, expected in (({"resourceType": "Patient"}, 400), (bad_nhs, 422), (other_class, 422)):
            refused = http.post(url, json=body, headers={**world.auth("edsys"), **fhir_json})
            assert refused.status_code == expected, refused.text
            outcome(refused)
        not_json = http.post(url, content=b"<Encounter/>", headers={**world.auth("edsys"), **fhir_json})
        assert not_json.status_code == 400
        outcome(not_json)
        assert len(world.events(http, "attendance")) == attendances + 1


def test_production_refuses_unsafe_defaults(world: World) -> None:
    refused = world.stack.cli("run", check=False, LIAISON_ENV="production")
    assert refused.returncode != 0
    unsafe = ["SECRET_KEY", "PUBLIC_BASE_URL", "TELEGRAM_API_BASE_URL", "SMTP_HOST"]
    if "DATABASE_URL" not in world.stack.env:  # on the embedded defaults these are unsafe too
        unsafe += ["DATABASE_URL", "REDIS_URL"]
    for setting in unsafe:
        assert setting in refused.stderr + refused.stdout, setting
    assert re.search(r"unsafe settings", refused.stderr + refused.stdout)
    assert BOT_TOKEN not in refused.stderr + refused.stdout  # names settings, never their values
    assert "Traceback" not in refused.stderr
