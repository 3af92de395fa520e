"""Marking teams as a local authority's duty or out-of-hours team from the `liaison` command, over the real
database: the flag is what the escalation job reads (services/staff/directory)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from runtime.cli import app
from schemas.enums import Agency, Role
from services.kernel.db import session_scope
from services.staff import directory
from tests.integration.conftest import World, audit_events

runner = CliRunner()


def test_an_existing_team_is_marked_out_of_hours_and_back(world: World) -> None:
    world.team("CEC-EDT", agency=Agency.emergency_duty, duty=True)
    world.user("edt1", role=Role.social_worker, team="CEC-EDT")
    world.team("GP-P81", agency=Agency.gp, la=None)

    marked = runner.invoke(app, ["team", "set", "CEC-EDT", "--out-of-hours"])
    assert marked.exit_code == 0, marked.output
    assert json.loads(marked.stdout) == {
        "code": "CEC-EDT",
        "name": "Team CEC-EDT",
        "agency": "emergency_duty",
        "la_code": "CEC",
        "is_duty": True,
        "is_out_of_hours": True,
    }
    with session_scope() as session:
        assert directory.out_of_hours_user_ids(session, la_code="CEC") != []
        assert directory.out_of_hours_user_ids(session, la_code="OTH") == []
    [event] = audit_events(action="team.updated")
    assert (event.via, event.detail) == ("cli", {"team": "CEC-EDT", "is_out_of_hours": True})

    unmarked = runner.invoke(app, ["team", "set", "CEC-EDT", "--no-out-of-hours", "--no-duty"])
    assert unmarked.exit_code == 0, unmarked.output
    assert (json.loads(unmarked.stdout)["is_out_of_hours"], json.loads(unmarked.stdout)["is_duty"]) == (
        False,
        False,
    )
    with session_scope() as session:
        assert directory.out_of_hours_user_ids(session, la_code="CEC") == []

    # a team of no local authority cannot stand in for one; an unknown team is named
    refused = runner.invoke(app, ["team", "set", "GP-P81", "--out-of-hours"])
    assert refused.exit_code == 1 and "la_code" in refused.stderr
    missing = runner.invoke(app, ["team", "set", "NOPE", "--out-of-hours"])
    assert missing.exit_code == 1 and "NOPE" in missing.stderr
    assert len(audit_events(action="team.updated")) == 2
