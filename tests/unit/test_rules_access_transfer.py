"""While a transfer between local authorities is in progress, both of them may see the young person and
the receiving one's duty team hears of attendances; nobody else gains anything. Only the receiving LA
accepts."""

from __future__ import annotations

import pytest

from schemas.enums import CareTeamRole, Role
from services.kernel.identity import Principal
from services.notifications.rules import Member, Recipient, select_recipients
from services.people.access import (
    CaseFacts,
    may_accept_transfer,
    may_manage_care_team,
    may_view,
    may_withdraw_transfer,
)

MEMBER_ID, MEMBER_TEAM = 10, 100
# Responsibility moving from CEC to MAN; the young person lives in CEC (no residence recorded).
MOVING = CaseFacts(
    responsible_la="MAN",
    residence_la=None,
    member_user_ids=frozenset({MEMBER_ID}),
    member_team_ids=frozenset({MEMBER_TEAM}),
    transfer_las=frozenset({"CEC", "MAN"}),
)
SETTLED = CaseFacts("MAN", None, frozenset({MEMBER_ID}), frozenset({MEMBER_TEAM}))


def who(role: Role, *, la: str | None, user_id: int = 99, team_id: int = 999) -> Principal:
    return Principal(user_id=user_id, username=f"u{user_id}", role=role, team_id=team_id, la_code=la)


@pytest.mark.parametrize("la", ["CEC", "MAN"])
@pytest.mark.parametrize("role", [Role.safeguarding_lead, Role.team_manager])
def test_both_las_leads_and_managers_see_the_young_person_during_a_transfer(role: Role, la: str) -> None:
    person = who(role, la=la)
    assert may_view(person, MOVING)
    assert may_manage_care_team(person, MOVING)  # to name the receiving lead social worker


def test_the_sending_las_lead_no_longer_sees_once_the_transfer_is_over() -> None:
    assert not may_view(who(Role.safeguarding_lead, la="CEC"), SETTLED)
    assert not may_view(who(Role.team_manager, la="MAN"), SETTLED)


@pytest.mark.parametrize("role", list(Role))
def test_an_unrelated_la_gains_nothing_from_a_transfer(role: Role) -> None:
    if role == Role.admin:
        return  # the admin sees everyone regardless
    stranger = who(role, la="LIV")
    assert not may_view(stranger, MOVING)
    assert not may_manage_care_team(stranger, MOVING)
    assert not may_accept_transfer(stranger, to_la="MAN")


@pytest.mark.parametrize("role", [Role.social_worker, Role.clinician, Role.liaison])
def test_practitioners_of_either_la_still_need_the_care_team_or_an_alert(role: Role) -> None:
    assert not may_view(who(role, la="MAN"), MOVING)
    assert not may_view(who(role, la="CEC"), MOVING)
    assert may_view(who(role, la="LIV", user_id=MEMBER_ID), MOVING)


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (who(Role.safeguarding_lead, la="MAN"), True),
        (who(Role.team_manager, la="MAN"), True),
        (
            who(Role.safeguarding_lead, la="CEC"),
            False,
        ),  # the sending LA does not accept for the receiving one
        (who(Role.team_manager, la="CEC"), False),
        (who(Role.social_worker, la="MAN"), False),
        (who(Role.clinician, la="MAN"), False),
        (who(Role.admin, la=None), False),  # a decision of the local authority, not of the system admin
        (who(Role.integration, la="MAN"), False),
        (who(Role.safeguarding_lead, la=None), False),
    ],
)
def test_who_may_accept_a_transfer_into_man(principal: Principal, allowed: bool) -> None:
    assert may_accept_transfer(principal, to_la="MAN") is allowed


def test_only_the_sending_la_withdraws() -> None:
    assert may_withdraw_transfer(who(Role.safeguarding_lead, la="CEC"), from_la="CEC")
    assert not may_withdraw_transfer(who(Role.safeguarding_lead, la="MAN"), from_la="CEC")


def test_attendance_alerts_reach_the_receiving_las_duty_team_during_a_transfer() -> None:
    lead = Member(1, CareTeamRole.lead_social_worker)
    duty = {"CEC": [50], "MAN": [60, 1], "LIV": [70]}
    got = select_recipients(
        members=[lead],
        responsible_la="MAN",
        residence_la=None,
        duty_users_by_la=duty,
        transfers=[("CEC", "MAN")],
    )
    assert got == [
        Recipient(1, CareTeamRole.lead_social_worker, "care_team"),
        Recipient(60, CareTeamRole.duty, "transfer"),
    ]


def test_without_a_lead_social_worker_the_sending_las_duty_team_is_told_too() -> None:
    camhs = Member(2, CareTeamRole.camhs)
    duty = {"CEC": [50], "MAN": [60], "LIV": [70]}
    got = select_recipients(
        members=[camhs],
        responsible_la="MAN",
        residence_la=None,
        duty_users_by_la=duty,
        transfers=[("CEC", "MAN")],
    )
    assert got == [
        Recipient(2, CareTeamRole.camhs, "care_team"),
        Recipient(60, CareTeamRole.duty, "no_lead_social_worker"),
        Recipient(50, CareTeamRole.duty, "no_lead_social_worker"),
    ]
