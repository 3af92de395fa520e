"""Who may see and change a young person's record: every role, with and without a relationship."""

from __future__ import annotations

import pytest

from schemas.enums import Role
from services.kernel.identity import Principal
from services.people.access import (
    CaseFacts,
    may_acknowledge_on_behalf,
    may_manage_care_team,
    may_record_attendance,
    may_register,
    may_update,
    may_view,
)

MEMBER_ID, MEMBER_TEAM = 10, 100
CASE = CaseFacts(
    responsible_la="CEC",
    residence_la="FIF",
    member_user_ids=frozenset({MEMBER_ID}),
    member_team_ids=frozenset({MEMBER_TEAM}),
    alerted_user_ids=frozenset({20}),
)


def who(role: Role, *, user_id: int = 99, team_id: int = 999, la: str | None = None) -> Principal:
    return Principal(user_id=user_id, username=f"u{user_id}", role=role, team_id=team_id, la_code=la)


def test_admin_sees_and_changes_everyone() -> None:
    admin = who(Role.admin)
    assert may_view(admin, CASE)
    assert may_update(admin, CASE)
    assert may_manage_care_team(admin, CASE)
    assert may_register(admin, "ANY")


@pytest.mark.parametrize("la", ["CEC", "FIF"])
def test_safeguarding_lead_of_the_responsible_or_residence_la_may_act(la: str) -> None:
    lead = who(Role.safeguarding_lead, la=la)
    assert may_view(lead, CASE)
    assert may_update(lead, CASE)
    assert may_manage_care_team(lead, CASE)


@pytest.mark.parametrize("la", ["GLA", None])
def test_safeguarding_lead_of_another_la_is_refused(la: str | None) -> None:
    lead = who(Role.safeguarding_lead, la=la)
    assert not may_view(lead, CASE)
    assert not may_update(lead, CASE)
    assert not may_manage_care_team(lead, CASE)


def test_safeguarding_lead_does_not_match_a_missing_residence_la() -> None:
    case = CaseFacts("CEC", None, frozenset(), frozenset())
    assert not may_view(who(Role.safeguarding_lead, la=None), case)
    assert may_view(who(Role.safeguarding_lead, la="CEC"), case)


def test_team_manager_sees_through_a_member_of_their_team() -> None:
    manager = who(Role.team_manager, team_id=MEMBER_TEAM)
    assert may_view(manager, CASE)
    assert may_manage_care_team(manager, CASE)
    assert may_update(manager, CASE)


def test_team_manager_of_another_team_is_refused_even_in_the_la() -> None:
    manager = who(Role.team_manager, team_id=555, la="CEC")
    assert not may_view(manager, CASE)
    assert not may_manage_care_team(manager, CASE)
    assert not may_update(manager, CASE)


@pytest.mark.parametrize("role", [Role.social_worker, Role.clinician, Role.liaison])
def test_care_team_members_see_the_record(role: Role) -> None:
    member = who(role, user_id=MEMBER_ID, team_id=MEMBER_TEAM)
    assert may_view(member, CASE)
    assert not may_manage_care_team(member, CASE)


@pytest.mark.parametrize("role", [Role.social_worker, Role.clinician, Role.liaison])
def test_non_members_are_refused_even_in_a_members_team_and_la(role: Role) -> None:
    stranger = who(role, user_id=77, team_id=MEMBER_TEAM, la="CEC")
    assert not may_view(stranger, CASE)
    assert not may_update(stranger, CASE)
    assert not may_manage_care_team(stranger, CASE)


@pytest.mark.parametrize("role", [Role.social_worker, Role.clinician, Role.liaison])
def test_someone_the_service_alerted_may_view(role: Role) -> None:
    assert may_view(who(role, user_id=20), CASE)


def test_only_a_member_social_worker_may_update_among_practitioners() -> None:
    assert may_update(who(Role.social_worker, user_id=MEMBER_ID), CASE)
    assert not may_update(who(Role.clinician, user_id=MEMBER_ID), CASE)
    assert not may_update(who(Role.liaison, user_id=MEMBER_ID), CASE)


def test_integration_never_views_or_changes_even_when_on_the_care_team() -> None:
    integration = who(Role.integration, user_id=MEMBER_ID, team_id=MEMBER_TEAM, la="CEC")
    assert not may_view(integration, CASE)
    assert not may_update(integration, CASE)
    assert not may_manage_care_team(integration, CASE)  # membership grants access: a feed grants none
    assert may_register(integration, "CEC")
    assert may_record_attendance(integration)


@pytest.mark.parametrize(
    ("principal", "la", "allowed"),
    [
        (who(Role.safeguarding_lead, la="CEC"), "CEC", True),
        (who(Role.safeguarding_lead, la="CEC"), "FIF", False),
        (who(Role.safeguarding_lead, la=None), "CEC", False),
        (who(Role.team_manager, la="CEC"), "CEC", False),
        (who(Role.social_worker, la="CEC"), "CEC", False),
        (who(Role.clinician, la="CEC"), "CEC", False),
        (who(Role.liaison, la="CEC"), "CEC", False),
    ],
)
def test_may_register(principal: Principal, la: str, allowed: bool) -> None:
    assert may_register(principal, la) is allowed


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.admin, True),
        (Role.integration, True),
        (Role.liaison, True),
        (Role.clinician, True),
        (Role.social_worker, False),
        (Role.team_manager, False),
        (Role.safeguarding_lead, False),
    ],
)
def test_may_record_attendance(role: Role, allowed: bool) -> None:
    assert may_record_attendance(who(role)) is allowed


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (who(Role.team_manager, team_id=MEMBER_TEAM, la="CEC"), True),  # the recipient's own team's manager
        (who(Role.team_manager, team_id=555, la="CEC"), False),  # another team's
        (who(Role.safeguarding_lead, la="CEC"), True),  # the responsible LA's lead
        (who(Role.safeguarding_lead, la="FIF"), True),  # where they live
        (who(Role.safeguarding_lead, la="MAN"), False),
        (who(Role.admin, team_id=MEMBER_TEAM), False),
        (who(Role.social_worker, user_id=MEMBER_ID, team_id=MEMBER_TEAM, la="CEC"), False),
        (who(Role.clinician, user_id=MEMBER_ID, team_id=MEMBER_TEAM), False),
        (who(Role.liaison, user_id=MEMBER_ID, team_id=MEMBER_TEAM), False),
        (who(Role.integration, team_id=MEMBER_TEAM, la="CEC"), False),
    ],
)
def test_who_may_acknowledge_on_someone_s_behalf(principal: Principal, allowed: bool) -> None:
    assert may_acknowledge_on_behalf(principal, CASE, recipient_team_id=MEMBER_TEAM) is allowed
