"""SNOMED CT reasons end to end: a FHIR Encounter and an HL7 v2 A04 (over a real MLLP socket) whose only
evidence of why the young person came is a SNOMED CT code are a pattern the frequent-attender rule sees,
and the local authority's safeguarding lead is told; the same visits with codes liaison does not list
(and words that say nothing) are not."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.conftest import Case, Mailbox, Person, World, run_worker
from tests.integration.intake_helpers import FIXTURES, MllpClient, mllp_listener, msa, variant

pytestmark = pytest.mark.integration

FHIR_JSON = {"content-type": "application/fhir+json"}
PV2 = "PV2|||^Overdose of prescribed and non-prescribed drugs"  # the fixture's words: replaced below


@pytest.fixture
def edsys(world: World, case: Case) -> Person:
    return world.user("edsys", role=Role.integration, team="RBT-LIA")


def encounter(code: str) -> dict[str, Any]:
    """An ED Encounter three weeks before the HL7 fixture's visit, its reason a bare SNOMED CT coding."""
    body: dict[str, Any] = copy.deepcopy(json.loads((FIXTURES / "fhir" / "encounter-ed.json").read_text()))
    body["identifier"][0]["value"] = "RBT-ED-SCT-1"
    body["period"]["start"] = "2022-11-17T21:40:00+00:00"
    body["reasonCode"] = [{"coding": [{"system": "http://snomed.info/sct", "code": code}], "text": "ED"}]
    return body


def send_both(client: TestClient, edsys: Person, *, fhir_code: str, hl7_code: str) -> None:
    """The Encounter over HTTP, then the A04 over MLLP, each its visit's only reason a SNOMED CT code."""
    answer = client.post(
        "/api/v1/fhir/Encounter",
        content=json.dumps(encounter(fhir_code)),
        headers={**FHIR_JSON, **edsys.headers},
    )
    assert answer.status_code == 201, answer.text
    a04 = variant("a04-ed-attendance.hl7", control_id="SCT0001", **{PV2: f"PV2|||{hl7_code}^Seen^SCT"})
    with mllp_listener() as listener:
        sender = MllpClient(listener.port)
        assert msa(sender.send(a04))[:2] == ("AA", "SCT0001")
        sender.close()


def chronology(client: TestClient, case: Case) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["events"])


def test_snomed_coded_overdose_then_self_harm_raise_the_repeat_attendance_flag(
    client: TestClient, world: World, case: Case, edsys: Person, mailbox: Mailbox
) -> None:
    world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg.lead@example.org")
    # 1149222004 |Overdose (disorder)|, then 248062006 |Self-injurious behavior (finding)|
    send_both(client, edsys, fhir_code="1149222004", hl7_code="248062006")
    events = chronology(client, case)
    summaries = sorted(e["summary"] for e in events if e["kind"] == "attendance")
    assert len(summaries) == 2
    assert any("reasons: overdose;" in s for s in summaries), summaries
    assert any("reasons: self harm;" in s for s in summaries), summaries
    [pattern] = [e for e in events if e["kind"] == "repeat_attendance"]
    assert pattern["summary"].startswith("Repeat attendances: 2 counted in the last 12 weeks")
    run_worker()
    told = [m for m in mailbox.wait_for(3) if m["To"] == "sg.lead@example.org"]
    assert len(told) == 1 and "Repeat attendances" in told[0]["Subject"]


def test_the_same_visits_with_unlisted_codes_and_no_telling_words_are_no_pattern(
    client: TestClient, world: World, case: Case, edsys: Person, mailbox: Mailbox
) -> None:
    world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg.lead@example.org")
    send_both(client, edsys, fhir_code="999999999999", hl7_code="999999999999")
    events = chronology(client, case)
    summaries = [e["summary"] for e in events if e["kind"] == "attendance"]
    assert len(summaries) == 2 and all("reasons: other;" in s for s in summaries), summaries
    assert "repeat_attendance" not in [e["kind"] for e in events]
    run_worker()
    assert "sg.lead@example.org" not in [m["To"] for m in mailbox.wait_for(2)]
