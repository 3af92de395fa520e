"""An alert's access has a life (issue 13, 7): the pure rule, every role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.enums import NotificationKind, Role
from services.kernel.identity import Principal
from services.people.access import CaseFacts, alert_grants_access, may_view

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
ALERTED = 20
CASE = CaseFacts(
    responsible_la="CEC",
    residence_la=None,
    member_user_ids=frozenset(),
    member_team_ids=frozenset(),
    alerted_user_ids=frozenset({ALERTED}),
)


def grants(age_hours: float, *, voided: bool = False, kind: str = NotificationKind.attendance) -> bool:
    made = NOW - timedelta(hours=age_hours)
    return alert_grants_access(kind=kind, made_at=made, voided_at=NOW if voided else None, now=NOW, hours=168)


def test_an_alert_grants_access_for_its_window_and_not_after() -> None:
    assert grants(0) and grants(167.9) and grants(168)
    assert not grants(168.01) and not grants(10_000)


def test_a_withdrawn_alert_and_a_notice_of_withdrawal_grant_nothing() -> None:
    assert not grants(1, voided=True)
    for kind in ("attendance_cancelled", "missed_appointment_withdrawn", "transfer_withdrawn"):
        assert not grants(1, kind=kind)
    assert grants(1, kind=NotificationKind.escalation)  # told that an alert went unanswered: may act


@pytest.mark.parametrize(
    ("role", "alert_gives_access"),
    [
        (Role.social_worker, True),
        (Role.clinician, True),
        (Role.liaison, True),
        (Role.team_manager, False),  # a manager's access follows their team's members on the care team
        (Role.safeguarding_lead, False),  # a lead's follows the local authority
        (Role.integration, False),
        (Role.ig_officer, False),
    ],
)
def test_which_roles_an_alert_gives_access_to(role: Role, alert_gives_access: bool) -> None:
    told = Principal(user_id=ALERTED, username="told", role=role, team_id=5, la_code="OTH")
    assert may_view(told, CASE) is alert_gives_access
    expired = CaseFacts(**{**CASE.__dict__, "alerted_user_ids": frozenset()})
    assert not may_view(told, expired)
