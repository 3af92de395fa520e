"""Who may read the audit trail (docs/audit.md): the whole trail information governance and the admin; one
young person's access log those two and the safeguarding leads of their local authorities, never the care
team itself. Information governance reads nothing of the records."""

from __future__ import annotations

import pytest

from schemas.enums import Role
from services.kernel.identity import Principal
from services.people.access import (
    CaseFacts,
    may_assess,
    may_manage_care_team,
    may_read_access_log,
    may_read_audit_trail,
    may_register,
    may_update,
    may_view,
    reads_records,
)

MEMBER_ID, MEMBER_TEAM = 10, 100
CASE = CaseFacts(
    responsible_la="CEC",
    residence_la="FIF",
    member_user_ids=frozenset({MEMBER_ID}),
    member_team_ids=frozenset({MEMBER_TEAM}),
    transfer_las=frozenset({"CEC", "WLN"}),
)


def who(role: Role, *, user_id: int = 99, team_id: int = 999, la: str | None = "CEC") -> Principal:
    return Principal(user_id=user_id, username=f"u{user_id}", role=role, team_id=team_id, la_code=la)


@pytest.mark.parametrize("role", list(Role))
def test_only_information_governance_and_the_admin_search_the_whole_trail(role: Role) -> None:
    assert may_read_audit_trail(who(role)) is (role in (Role.admin, Role.ig_officer))


@pytest.mark.parametrize("la", ["CEC", "FIF", "WLN"])
def test_the_safeguarding_lead_of_a_local_authority_of_the_young_person_reads_the_access_log(la: str) -> None:
    assert may_read_access_log(who(Role.safeguarding_lead, la=la), CASE)


def test_a_safeguarding_lead_elsewhere_does_not() -> None:
    assert not may_read_access_log(who(Role.safeguarding_lead, la="GLA"), CASE)
    assert not may_read_access_log(who(Role.safeguarding_lead, la=None), CASE)


@pytest.mark.parametrize(
    "role", [r for r in Role if r not in (Role.admin, Role.safeguarding_lead, Role.ig_officer)]
)
def test_the_care_team_and_their_managers_do_not(role: Role) -> None:
    member = who(role, user_id=MEMBER_ID, team_id=MEMBER_TEAM)
    assert not may_read_access_log(member, CASE)


def test_the_admin_reads_every_access_log() -> None:
    assert may_read_access_log(who(Role.admin, la=None), CASE)


def test_information_governance_reads_every_access_log_and_no_record() -> None:
    ig = who(Role.ig_officer, la="CEC")
    assert may_read_access_log(ig, CASE) and may_read_audit_trail(ig)
    on_the_team = who(Role.ig_officer, user_id=MEMBER_ID, team_id=MEMBER_TEAM)  # even were they a member
    for officer in (ig, on_the_team):
        assert not may_view(officer, CASE) and not may_update(officer, CASE)
        assert not may_manage_care_team(officer, CASE) and not may_assess(officer, CASE)
        assert not may_register(officer, "CEC")
    assert not reads_records(ig) and not reads_records(who(Role.integration))
    assert all(reads_records(who(r)) for r in Role if r not in (Role.ig_officer, Role.integration))
