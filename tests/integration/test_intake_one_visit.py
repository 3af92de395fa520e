"""One visit sent both over HL7 v2 and as a FHIR Encounter (a hospital mid-migration, or two feeds) is one
attendance and one alert: same young person, same site, same visit number (PV1-19.1 = the Encounter
identifier's value)."""

from __future__ import annotations

import copy
from typing import Any

import hl7
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from schemas.enums import Role
from services.attendances.models import Attendance
from services.kernel.db import session_scope
from tests.integration.conftest import Case, Mailbox, Person, World, run_worker
from tests.integration.intake_helpers import hl7_fixture, msa, variant
from tests.integration.test_intake_fhir import ENCOUNTER, outcome, post

pytestmark = pytest.mark.integration


@pytest.fixture
def edsys(world: World, case: Case) -> Person:
    return world.user("edsys", role=Role.integration, team="RBT-LIA")


def _encounter(visit: str) -> dict[str, Any]:
    body = copy.deepcopy(ENCOUNTER)
    body["identifier"][0]["value"] = visit
    return body


def _hl7(client: TestClient, person: Person, raw: bytes) -> hl7.Message:
    answer = client.post(
        "/api/v1/hl7/v2", content=raw, headers={**person.headers, "content-type": "x-application/hl7-v2+er7"}
    )
    assert answer.status_code == 200, answer.text
    return hl7.parse(answer.text)


def _attendances() -> list[Attendance]:
    with session_scope() as session:
        return list(session.scalars(select(Attendance)))


def test_hl7_then_fhir_for_the_same_visit_is_one_attendance_and_one_alert(
    client: TestClient, case: Case, edsys: Person, mailbox: Mailbox
) -> None:
    assert msa(_hl7(client, edsys, hl7_fixture("a04-ed-attendance.hl7")))[0] == "AA"  # visit V0001 at RBT
    answer = post(client, _encounter("V0001"), edsys)
    assert answer.status_code == 200, answer.text
    assert outcome(answer).issue[0].details.coding[0].code == "duplicate"
    run_worker()
    assert len(mailbox.wait_for(2, timeout=2)) == 1
    assert len(_attendances()) == 1


def test_fhir_then_hl7_for_the_same_visit_is_one_attendance_and_later_events_find_it(
    client: TestClient, case: Case, edsys: Person, mailbox: Mailbox
) -> None:
    assert post(client, _encounter("V0001"), edsys).status_code == 201
    assert msa(_hl7(client, edsys, hl7_fixture("a04-ed-attendance.hl7")))[0] == "AA"
    run_worker()
    assert len(mailbox.wait_for(2, timeout=2)) == 1
    [attendance] = _attendances()
    discharge = variant(
        "a04-ed-attendance.hl7", control_id="MSG0901", **{"ADT^A04": "ADT^A03", "EVN|A04": "EVN|A03"}
    )
    assert msa(_hl7(client, edsys, discharge))[0] == "AA"
    [ended] = _attendances()
    assert ended.id == attendance.id and ended.status == "ended"


def test_another_visit_number_or_another_site_is_another_attendance(
    client: TestClient, case: Case, edsys: Person, mailbox: Mailbox
) -> None:
    assert msa(_hl7(client, edsys, hl7_fixture("a04-ed-attendance.hl7")))[0] == "AA"
    assert post(client, _encounter("V0002"), edsys).status_code == 201
    elsewhere = _encounter("V0001")
    elsewhere["serviceProvider"]["identifier"]["value"] = "RJN"
    assert post(client, elsewhere, edsys).status_code == 201
    assert len(_attendances()) == 3
