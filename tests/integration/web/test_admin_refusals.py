"""Every admin page refuses every other role with a 403 page, each refusal audited via=web, and changes
nothing: per page, for each role that might expect to run accounts (the safeguarding lead, the team
manager, information governance) and the front line (a social worker, the hospital liaison nurse)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from schemas.enums import Role
from services.kernel.db import session_scope
from services.staff import service as staff
from services.staff.models import ApiToken, Team, User
from tests.integration.conftest import Case, World, audit_events
from tests.integration.web.helpers import post_form, sign_in

ROLES = {
    Role.social_worker: "jo.smith@example.org",
    Role.safeguarding_lead: "lead2@example.org",
    Role.team_manager: "manager@example.org",
    Role.ig_officer: "ig@example.org",
    Role.liaison: "nurse2@example.org",
}
PAGES = [  # method, path, the audited action, a form
    ("GET", "/admin/users", "user.list", {}),
    ("GET", "/admin/users/new", "user.created", {}),
    ("POST", "/admin/users/new", "user.created", {"username": "x", "display_name": "X", "role": "admin"}),
    ("GET", "/admin/users/hosp", "user.read", {}),
    ("POST", "/admin/users/hosp", "user.updated", {"display_name": "Changed", "email": "x@example.org"}),
    ("GET", "/admin/users/hosp/deactivate", "user.deactivated", {}),
    ("POST", "/admin/users/hosp/deactivate", "user.deactivated", {}),
    ("POST", "/admin/users/hosp/reactivate", "user.reactivated", {}),
    ("POST", "/admin/users/hosp/tokens", "token.issued", {}),
    ("POST", "/admin/users/hosp/tokens/3/revoke", "token.revoked", {}),
    ("POST", "/admin/users/hosp/link-code", "telegram.link_code_issued", {}),
    ("GET", "/admin/teams", "team.list", {}),
    ("POST", "/admin/teams", "team.created", {"code": "NEW", "name": "New", "agency": "other"}),
    ("POST", "/admin/teams/CEC-CSC/roles", "team.updated", {"is_duty": "yes"}),
]


def _state() -> tuple[object, ...]:
    with session_scope() as session:
        hosp = staff.get_user(session, username="hosp")
        assert hosp is not None
        return (
            session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(Team)),
            session.scalar(select(func.count()).select_from(ApiToken)),
            session.scalar(
                select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_not(None))
            ),
            (hosp.display_name, hosp.email, hosp.active, hosp.link_code_hash),
            staff.get_team(session, code="CEC-CSC").is_duty,
        )


@pytest.mark.parametrize(
    ("method", "path", "action", "form"), PAGES, ids=[f"{m} {p}" for m, p, _, _ in PAGES]
)
def test_only_the_admin_may_use_the_page_and_each_refusal_is_audited(
    client: TestClient, case: Case, world: World, method: str, path: str, action: str, form: dict[str, str]
) -> None:
    world.user("lead2", role=Role.safeguarding_lead, team="CEC-SG", email=ROLES[Role.safeguarding_lead])
    world.user("manager", role=Role.team_manager, team="CEC-CSC", email=ROLES[Role.team_manager])
    world.user("ig", role=Role.ig_officer, team="CEC-SG", email=ROLES[Role.ig_officer])
    world.user("nurse2", role=Role.liaison, team="RBT-LIA", email=ROLES[Role.liaison])
    before = _state()
    for email in ROLES.values():
        client.cookies.clear()
        sign_in(client, email)
        work = client.get("/my-work")
        assert 'href="/admin/users"' not in work.text and 'href="/account"' in work.text
        answer = client.get(path) if method == "GET" else post_form(client, path, work, form)
        assert answer.status_code == 403, (email, answer.text)
        assert "Only the system administrator runs accounts and teams" in answer.text
        assert "Changed" not in answer.text and "hosp@" not in answer.text
    assert _state() == before  # nothing changed
    denied = audit_events(action=action, outcome="denied")
    assert sorted(e.actor_role for e in denied) == sorted(r.value for r in ROLES)
    assert {e.via for e in denied} == {"web"}


def test_an_unknown_user_is_refused_like_a_known_one_for_anyone_but_the_admin(
    client: TestClient, case: Case
) -> None:
    sign_in(client, "jo.smith@example.org")
    assert client.get("/admin/users/nobody").status_code == 403  # who exists is not told
    assert client.get("/admin/users/hosp").status_code == 403
