"""Registering a young person and building the care team from the browser: the API's rules, commands and
audit, via=web; refusals audited; bad input answered with the form and what to correct."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update

from schemas.enums import Role
from services.kernel.db import session_scope
from services.staff.models import User
from tests.integration.conftest import Case, World, audit_events
from tests.integration.web.helpers import post_form, sign_in

NEW = {
    "nhs_number": "999 000 0026",
    "given_name": "Riley",
    "family_name": "Example",
    "date_of_birth": "2009-06-01",
    "responsible_la": "CEC",
}


def _lead_email() -> None:
    with session_scope() as session:
        session.execute(update(User).where(User.username == "lead").values(email="lead@example.org"))


def test_a_safeguarding_lead_registers_a_young_person_and_builds_the_care_team(
    client: TestClient, case: Case
) -> None:
    _lead_email()
    sign_in(client, "lead@example.org")
    assert 'href="/young-people/new"' in client.get("/caseload").text
    form = client.get("/young-people/new")
    assert form.status_code == 200 and 'value="CEC"' in form.text  # their own authority, to start with
    done = post_form(client, "/young-people/new", form, {**NEW, "statuses": "lac"})
    assert done.status_code == 303, done.text
    ref = done.headers["location"].split("/")[2].split("?")[0]
    record = client.get(done.headers["location"])
    assert "Riley Example" in record.text and "Looked after child" in record.text
    [event] = audit_events(action="young_person.registered", via="web")
    assert (event.via, event.young_person_ref) == ("web", ref)

    added = post_form(
        client, f"/young-people/{ref}/care-team", record, {"username": "jsmith", "role": "lead_social_worker"}
    )
    assert added.status_code == 303
    assert (
        "Jo" in client.get(added.headers["location"]).text
        or "Jsmith" in client.get(f"/young-people/{ref}").text
    )
    client.cookies.clear()
    sign_in(client, "jo.smith@example.org")
    assert client.get(f"/young-people/{ref}").status_code == 200  # membership now lets them read it


def test_bad_input_is_answered_with_the_form_and_what_to_correct(client: TestClient, case: Case) -> None:
    _lead_email()
    sign_in(client, "lead@example.org")
    form = client.get("/young-people/new")
    answer = post_form(
        client, "/young-people/new", form, {**NEW, "nhs_number": "9990000019", "date_of_birth": "soon"}
    )
    assert answer.status_code == 400
    assert "There is a problem" in answer.text and 'href="#nhs_number"' in answer.text
    assert 'href="#date_of_birth"' in answer.text and 'value="Riley"' in answer.text  # kept what was typed
    assert audit_events(action="young_person.registered", via="web") == []


def test_registering_an_nhs_number_already_known_says_where_to_go(client: TestClient, case: Case) -> None:
    _lead_email()
    sign_in(client, "lead@example.org")
    answer = post_form(
        client, "/young-people/new", client.get("/young-people/new"), {**NEW, "nhs_number": "9990000018"}
    )
    assert answer.status_code == 409 and f'href="/young-people/{case.ref}"' in answer.text


def test_a_social_worker_may_neither_register_nor_change_the_care_team_and_is_audited(
    client: TestClient, case: Case, world: World
) -> None:
    world.user("other", role=Role.social_worker, team="CEC-CSC")
    sign_in(client, "jo.smith@example.org")
    assert 'href="/young-people/new"' not in client.get("/caseload").text
    refused = post_form(client, "/young-people/new", client.get("/young-people/new"), NEW)
    assert refused.status_code == 403 and "You cannot see this" in refused.text
    record = client.get(f"/young-people/{case.ref}")
    assert "Add someone to the care team" not in record.text
    again = post_form(
        client, f"/young-people/{case.ref}/care-team", record, {"username": "other", "role": "other"}
    )
    assert again.status_code == 403
    denied = [(e.action, e.via) for e in audit_events(actor_username="jsmith", outcome="denied")]
    assert denied == [("young_person.register", "web"), ("care_team.add", "web")]
