"""Every refusal of the closure guard's steps is in the audit trail (issue 13, item 4): a proposal, an answer
or a decision refused inside the closures service rolled its request back and left no trace, so nobody
could see who tried to close a service's involvement and was stopped."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.conftest import Case, Person, World, add_care_coordinator, audit_events
from tests.integration.test_closures import _decide, _propose, camhs  # noqa: F401 - fixture

RATIONALE = "Three missed appointments; letters not answered."


def _refusals(action: str) -> list[tuple[str, str | None, str, Any]]:
    return [
        (e.actor_username, e.young_person_ref, e.outcome, e.detail["why"])
        for e in audit_events(action=action)
        if e.outcome in ("denied", "refused")
    ]


def test_refused_proposals_are_audited(
    client: TestClient,
    world: World,
    case: Case,
    camhs: Person,  # noqa: F811
) -> None:
    url = f"/api/v1/young-people/{case.ref}/closures"

    def propose(person: Person, **extra: str) -> int:
        body = {"reason": "non_engagement", "rationale": RATIONALE, **extra}
        return client.post(url, json=body, headers=person.headers).status_code

    assert propose(camhs, username="nobody") == 404
    assert propose(camhs, username="jsmith") == 403  # a clinician does not close a social worker's part
    assert propose(case.lead, username="hosp") == 422  # not on the care team
    _propose(client, case, camhs)
    assert propose(camhs) == 409  # one proposal at a time
    assert _refusals("closure.propose") == [
        ("camhs1", case.ref, "refused", "no_such_user"),
        ("camhs1", case.ref, "denied", "not_their_manager"),
        ("lead", case.ref, "refused", "not_a_member"),
        ("camhs1", case.ref, "refused", "already_proposed"),
    ]


def test_refused_answers_and_decisions_are_audited(
    client: TestClient,
    world: World,
    case: Case,
    camhs: Person,  # noqa: F811
) -> None:
    nurse = add_care_coordinator(client, world, case)
    closure_id = _propose(client, case, camhs)["id"]
    answer = {"stance": "agree", "comment": "Discussed at the core group."}
    responses = f"/api/v1/closures/{closure_id}/responses"

    own = client.post(responses, json=answer, headers=camhs.headers)
    assert own.status_code == 422
    assert _decide(client, closure_id, nurse).status_code == 403  # neither proposer, member nor manager
    assert _decide(client, closure_id, camhs).status_code == 409  # the guard stands: consultation, re-score
    kept_open = _decide(client, closure_id, camhs, "keep_open")
    assert kept_open.status_code == 200, kept_open.text
    assert _decide(client, closure_id, camhs, "keep_open").status_code == 409
    assert client.post(responses, json=answer, headers=nurse.headers).status_code == 409

    assert _refusals("closure.respond") == [
        ("camhs1", case.ref, "refused", "own_proposal"),
        ("nurse", case.ref, "refused", "decided"),
    ]
    assert _refusals("closure.decide") == [
        ("nurse", case.ref, "denied", "not_a_decider"),
        ("camhs1", case.ref, "refused", "blocked"),
        ("camhs1", case.ref, "refused", "decided"),
    ]
    assert all(e.detail["closure_id"] == closure_id for e in audit_events(action="closure.decide"))
