"""The subject access export (issue 11.5): everything held about one young person, as JSON and HTML, over
the API and the CLI; only for information governance; every export and every refusal audited. Completeness
is checked by walking the schema: every table with a foreign key to `young_people` (and the tables below
them) has each of its rows for this young person in the export, none of another's, and every table that can
lead to a young person has a title in the human-readable form (a new table fails here until it does)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from runtime.cli import app as cli
from schemas.enums import Agency, Role
from services.kernel.db import session_scope
from services.models import Base
from services.people.models import YoungPerson
from services.retention import subject_access
from tests.integration.conftest import (
    YOUNG_PERSON,
    Case,
    Mailbox,
    Person,
    World,
    add_care_coordinator,
    attendance,
    audit_events,
    complete_assessment,
    run_worker,
)
from tests.integration.test_plans import CARE_PLAN, SAFETY_PLAN

OTHER = YOUNG_PERSON | {"nhs_number": "9990000026", "given_name": "Sam", "family_name": "Otherperson"}


@pytest.fixture
def ig(world: World) -> Person:
    world.team("IG", agency=Agency.other, la=None)
    return world.user("dpo", role=Role.ig_officer, team="IG")


def _rich_case(client: TestClient, world: World, case: Case) -> tuple[int, int]:
    """The young person with a care coordinator, an attendance told by email, an assessment, plans; and
    another young person with an attendance of their own. Returns both ids."""
    nurse = add_care_coordinator(client, world, case)
    world.team("RBT-ED", la=None)
    feed = world.user("edsys", role=Role.integration, team="RBT-ED")
    assert client.post("/api/v1/attendances", json=attendance(), headers=feed.headers).status_code == 202
    run_worker()  # a real rq worker sends the emails: delivery attempts too
    complete_assessment(client, nurse, case.ref)
    base = f"/api/v1/young-people/{case.ref}"
    assert client.post(f"{base}/care-plan", json=CARE_PLAN, headers=nurse.headers).status_code == 201
    assert client.post(f"{base}/safety-plan", json=SAFETY_PLAN, headers=nurse.headers).status_code == 201
    other = client.post("/api/v1/young-people", json=OTHER, headers=case.lead.headers)
    assert other.status_code == 201, other.text
    visit = attendance("V0002", nhs_number=OTHER["nhs_number"])
    assert client.post("/api/v1/attendances", json=visit, headers=feed.headers).status_code == 202
    with session_scope() as session:
        ids = session.execute(select(YoungPerson.id).order_by(YoungPerson.id)).scalars().all()
    return ids[0], ids[1]


def _rows_pointing_at(table_name: str, column: str, ids: set[int]) -> set[int]:
    table = Base.metadata.tables[table_name]
    with session_scope() as session:
        return set(session.scalars(select(table.c.id).where(table.c[column].in_(ids))))


def _exported_ids(exported: dict[str, Any], table: str) -> set[int]:
    return {row["id"] for row in exported["tables"].get(table, [])}


def test_the_export_holds_every_row_of_every_table_that_leads_to_the_young_person(
    client: TestClient, world: World, case: Case, ig: Person, mailbox: Mailbox
) -> None:
    mine, theirs = _rich_case(client, world, case)
    answer = client.get(f"/api/v1/young-people/{case.ref}/subject-access", headers=ig.headers)
    assert answer.status_code == 200, answer.text
    exported = answer.json()
    assert exported["ref"] == case.ref
    assert exported["tables"]["young_people"][0]["nhs_number"] == YOUNG_PERSON["nhs_number"]

    # Walk the schema, level by level, from young_people: every row that leads to this young person is in
    # the export, none that leads to the other one.
    levels = {"young_people": ({mine}, {theirs})}
    checked: set[str] = set()
    while True:
        grew = False
        for table in Base.metadata.sorted_tables:
            if table.name in levels or table.name.startswith("audit_"):
                continue
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent in levels and fk.column.name == "id":
                    my_ids, their_ids = levels[parent]
                    wanted = _rows_pointing_at(table.name, fk.parent.name, my_ids)
                    unwanted = _rows_pointing_at(table.name, fk.parent.name, their_ids)
                    assert wanted <= _exported_ids(exported, table.name), (table.name, fk.parent.name)
                    assert not unwanted & _exported_ids(exported, table.name), table.name
                    old = levels.get(table.name, (set(), set()))
                    levels[table.name] = (old[0] | wanted, old[1] | unwanted)
                    checked.add(table.name)
                    grew = True
        if not grew:
            break
    # The case made rows in these, so the walk above was not checking empty tables.
    for name in ("care_team_members", "attendances", "notifications", "deliveries", "assessments"):
        assert _exported_ids(exported, name), name
    for name in (
        "assessment_answers",
        "care_plans",
        "safety_plans",
        "chronology_entries",
        "delivery_attempts",
    ):
        assert _exported_ids(exported, name), name
    assert {"appointments", "closures", "transfers", "discharge_plans", "inbound_messages"} <= checked
    # Every audit event about the ref; none about the other young person.
    about = {e.id for e in audit_events(young_person_ref=case.ref)}
    assert about and {e["id"] for e in exported["audit_events"]} <= about
    assert len(exported["audit_events"]) == len(about) - 1  # all but the export's own, written after it
    assert OTHER["given_name"] not in answer.text


def test_every_table_that_can_hold_a_young_persons_data_has_a_title_in_the_readable_form() -> None:
    reachable = {"young_people"}
    grew = True
    while grew:
        grew = False
        for table in Base.metadata.sorted_tables:
            if table.name not in reachable and any(
                fk.column.table.name in reachable for fk in table.foreign_keys
            ):
                reachable.add(table.name)
                grew = True
    assert reachable - set(subject_access.TITLES) == set()


def test_the_readable_form_and_the_cli_export_and_both_are_audited(
    client: TestClient, world: World, case: Case, ig: Person, tmp_path: Path
) -> None:
    page = client.get(f"/api/v1/young-people/{case.ref}/subject-access?format=html", headers=ig.headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Alex" in page.text and "Care team" in page.text and "the audit trail" in page.text
    assert "<script" not in page.text

    done = CliRunner().invoke(cli, ["sar", case.ref, "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    written = json.loads((tmp_path / f"{case.ref}.json").read_text())
    assert written["tables"]["young_people"][0]["given_name"] == "Alex"
    assert "Testperson" in (tmp_path / f"{case.ref}.html").read_text()
    exports = audit_events(action="subject_access.export", outcome="allowed")
    assert [(e.actor_username, e.via, e.detail["format"]) for e in exports] == [
        ("dpo", "api", "html"),
        ("liaison-system", "cli", "json+html"),
    ]
    assert all(e.young_person_ref == case.ref and e.detail["rows"]["young_people"] == 1 for e in exports)
    assert CliRunner().invoke(cli, ["sar", "YP-NOPE", "--out", str(tmp_path)]).exit_code == 1


def test_only_information_governance_exports_and_every_refusal_is_audited(
    client: TestClient, world: World, case: Case
) -> None:
    world.team("ADM", agency=Agency.other, la=None)
    world.team("RBT-ED", la=None)
    admin = world.user("root", role=Role.admin, team="ADM")
    feed = world.user("edsys", role=Role.integration, team="RBT-ED")
    for person in (case.social_worker, case.lead, case.hospital, admin, feed):
        refused = client.get(f"/api/v1/young-people/{case.ref}/subject-access", headers=person.headers)
        assert refused.status_code == 403, person.username
        assert "Alex" not in refused.text
    denied = audit_events(action="subject_access.export", outcome="denied")
    assert [e.actor_username for e in denied] == ["jsmith", "lead", "hosp", "root", "edsys"]
    assert all(e.young_person_ref == case.ref for e in denied)
