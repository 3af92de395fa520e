"""Consent shapes sharing (issue 11.6): when the care plan records that the young person did not consent to
share it with an agency, members of that agency see that a care plan exists and whom to ask (the care
coordinator), never its content: in JSON, in FHIR, in its history and reviews, in the overview the bot
shows. One rule (`access.may_read_care_plan_content`), tested here per role, each withholding audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Agency, Role
from tests.integration.conftest import Case, Person, World, add_care_coordinator, audit_events
from tests.integration.test_plans import CARE_PLAN

CONTENT = ("Feel safe at home", "apprenticeship", "Weekly CAMHS sessions", "stay near my sister", "weekends")


def _plan(consent: dict[str, bool]) -> dict[str, Any]:
    return CARE_PLAN | {"sharing": CARE_PLAN["sharing"] | {"agency_consent": consent}}


@pytest.fixture
def people(client: TestClient, world: World, case: Case) -> dict[str, Person]:
    nurse = add_care_coordinator(client, world, case)  # liaison, team RBT-LIA (agency social_care)
    world.team("CEC-CAMHS", agency=Agency.camhs)
    world.team("CEC-YJ", agency=Agency.youth_justice)
    world.team("ADM", agency=Agency.other, la=None)
    camhs = world.user("drcamhs", role=Role.clinician, team="CEC-CAMHS")
    camhs_manager = world.user("camhsmgr", role=Role.team_manager, team="CEC-CAMHS")
    yot = world.user("yot", role=Role.social_worker, team="CEC-YJ")
    admin = world.user("root", role=Role.admin, team="ADM")
    for username, role in (("drcamhs", "camhs"), ("yot", "youth_justice")):
        added = client.post(
            f"/api/v1/young-people/{case.ref}/care-team",
            json={"username": username, "role": role},
            headers=case.lead.headers,
        )
        assert added.status_code == 201, added.text
    saved = client.post(
        f"/api/v1/young-people/{case.ref}/care-plan",
        json=_plan({"camhs": True, "social_care": False}),
        headers=nurse.headers,
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["sharing"]["agency_consent"] == {"camhs": True, "social_care": False}
    return {
        "nurse": nurse,
        "jsmith": case.social_worker,
        "lead": case.lead,
        "drcamhs": camhs,
        "camhsmgr": camhs_manager,
        "yot": yot,
        "root": admin,
    }


def _category(resource: dict[str, Any]) -> str:
    return str(resource["category"][0]["coding"][0]["code"])


def _withheld(answer: dict[str, Any]) -> None:
    assert answer["content_withheld"] is True and answer["version"] == 1
    assert [c["username"] for c in answer["ask"]] == ["nurse"]
    assert "social_care" in answer["reason"] and "nurse" in answer["reason"]
    assert not any(text in json.dumps(answer) for text in CONTENT)


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("nurse", True),  # the care coordinator holds the plan, whatever their agency
        ("drcamhs", True),  # CAMHS: consented
        ("camhsmgr", True),  # a CAMHS team manager: consented
        ("yot", True),  # youth justice: not recorded, so not limited
        ("root", True),  # an admin of no agency the young person refused
        ("jsmith", False),  # social care (lead social worker): refused
        ("lead", False),  # social care (safeguarding lead): refused
    ],
)
def test_the_care_plan_is_read_as_the_young_persons_consent_allows_per_role(
    client: TestClient, case: Case, people: dict[str, Person], username: str, sees: bool
) -> None:
    reader = people[username]
    base = f"/api/v1/young-people/{case.ref}"
    current = client.get(f"{base}/care-plan", headers=reader.headers)
    version = client.get(f"{base}/care-plan/versions/1", headers=reader.headers)
    history = client.get(f"{base}/care-plan/versions", headers=reader.headers)
    overview = client.get(f"{base}/plans", headers=reader.headers)
    fhir = client.get(f"{base}/care-plan/fhir", headers=reader.headers)
    reviews = client.get(f"{base}/care-plan/reviews", headers=reader.headers)
    bundle = client.get(f"{base}/fhir/$handover", headers=reader.headers)
    assert bundle.status_code == 200
    kinds = {
        _category(e["resource"])
        for e in bundle.json()["entry"]
        if e["resource"]["resourceType"] == "CarePlan"
    }
    assert ("care-plan" in kinds) is sees  # the transfer handover bundle leaves the care plan out too
    assert current.status_code == version.status_code == history.status_code == overview.status_code == 200
    summary = overview.json()["care_plan"]
    if sees:
        assert current.json()["aims"] == CARE_PLAN["aims"] and "content_withheld" not in current.json()
        assert history.json()[0]["aims"] == CARE_PLAN["aims"]
        assert fhir.status_code == 200 and reviews.status_code == 200
        assert summary["content_withheld"] is False
        assert not audit_events(actor_username=username, outcome="withheld")
        return
    for answer in (current.json(), version.json(), history.json()[0]):
        _withheld(answer)
    assert summary["version"] == 1 and summary["content_withheld"] is True  # it exists, and whom to ask
    assert [c["username"] for c in summary["ask"]] == ["nurse"]
    for refused in (fhir, reviews):
        assert refused.status_code == 403 and "nurse" in refused.json()["detail"]
        assert not any(text in refused.text for text in CONTENT)
    withheld = audit_events(actor_username=username, outcome="withheld")
    assert [e.action for e in withheld] == [
        "care_plan.read",
        "care_plan.read",
        "care_plan.history",
        "care_plan.export_fhir",
        "care_plan.reviews",
    ]
    assert all(e.young_person_ref == case.ref and e.detail["agency"] == "social_care" for e in withheld)
    (handed,) = audit_events(actor_username=username, action="young_person.export_fhir_handover")
    assert handed.detail["care_plan_withheld"] == "social_care" and "care_plan_version" not in handed.detail


def test_a_refused_agency_cannot_rewrite_or_review_what_it_cannot_read_and_consent_follows_the_version(
    client: TestClient, case: Case, people: dict[str, Person]
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    jsmith, nurse = people["jsmith"], people["nurse"]
    rewrite = client.put(f"{base}/care-plan", json=_plan({}), headers=jsmith.headers)
    review = client.post(
        f"{base}/care-plan/reviews",
        json={"outcome": "Going well", "next_review_date": "2027-03-01"},
        headers=jsmith.headers,
    )
    assert rewrite.status_code == review.status_code == 403
    assert [e.action for e in audit_events(actor_username="jsmith", outcome="withheld")] == [
        "care_plan.update",
        "care_plan.review",
    ]
    assert client.get(f"{base}/care-plan/versions", headers=nurse.headers).json()[0]["version"] == 1

    # The young person now agrees to share with social care: version 2 is read by them, version 1 is not.
    again = client.put(f"{base}/care-plan", json=_plan({"social_care": True}), headers=nurse.headers)
    assert again.status_code == 200, again.text
    assert client.get(f"{base}/care-plan", headers=jsmith.headers).json()["aims"] == CARE_PLAN["aims"]
    _withheld(client.get(f"{base}/care-plan/versions/1", headers=jsmith.headers).json())
