"""Who may export everything held about a young person (access.may_export_subject_access), pure: the
information-governance officer, and no one else, whatever else they may read."""

from __future__ import annotations

from schemas.enums import Role
from services.kernel.identity import Principal
from services.people.access import CaseFacts, may_export_subject_access, may_view

CASE = CaseFacts(
    responsible_la="CEC", residence_la=None, member_user_ids=frozenset({1}), member_team_ids=frozenset({1})
)


def test_only_information_governance_exports_a_subject_access_request() -> None:
    for role in Role:
        principal = Principal(user_id=1, username="u", role=role, team_id=1, la_code="CEC")
        assert may_export_subject_access(principal, CASE) is (role == Role.ig_officer), role
    ig = Principal(user_id=9, username="dpo", role=Role.ig_officer, team_id=9, la_code=None)
    assert not may_view(ig, CASE)  # the export is the IG officer's one read of a record, whole
