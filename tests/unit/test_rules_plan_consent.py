"""The one consent rule for a care plan's content (access.may_read_care_plan_content), pure."""

from __future__ import annotations

from schemas.enums import Role
from services.kernel.identity import Principal
from services.people.access import PlanSharing, may_read_care_plan_content
from services.plans.rules import withheld_agencies


def _reader(user_id: int, role: Role = Role.social_worker) -> Principal:
    return Principal(user_id=user_id, username=f"u{user_id}", role=role, team_id=1, la_code="CEC")


SHARING = PlanSharing(withheld_from=frozenset({"social_care"}), coordinator_user_ids=frozenset({7}))


def test_only_an_agency_recorded_false_is_withheld() -> None:
    content = {"sharing": {"agency_consent": {"camhs": True, "social_care": False}}}
    assert withheld_agencies(content) == {"social_care"}
    assert withheld_agencies({"sharing": {}}) == frozenset()
    assert withheld_agencies({}) == frozenset()


def test_a_member_of_a_refused_agency_may_not_read_the_content_whatever_their_role() -> None:
    for role in (Role.social_worker, Role.safeguarding_lead, Role.team_manager, Role.admin):
        assert not may_read_care_plan_content(_reader(1, role), agency="social_care", sharing=SHARING)
    assert may_read_care_plan_content(_reader(1), agency="camhs", sharing=SHARING)
    assert may_read_care_plan_content(_reader(1), agency="youth_justice", sharing=SHARING)


def test_the_care_coordinator_always_may() -> None:
    assert may_read_care_plan_content(_reader(7), agency="social_care", sharing=SHARING)
