"""The dashboard's and report page's pure parts: who opens the dashboard, what "this month", "overdue" and
"without a care coordinator" mean, the report period's bounds, and the charts' bar lengths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from schemas.enums import Role
from services.flows.rules import lacks_coordinator, month_start, outcome_overdue, period_problem
from services.kernel.identity import Principal
from services.people.access import may_read_dashboard
from web.charts import WIDTH, bars

NOW = datetime(2026, 12, 4, 20, 15, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize("role", list(Role))
def test_only_team_managers_and_safeguarding_leads_open_the_dashboard(role: Role) -> None:
    who = Principal(user_id=1, username="u", role=role, team_id=1, la_code="CEC")
    assert may_read_dashboard(who) is (role in (Role.team_manager, Role.safeguarding_lead))


def test_this_month_starts_at_midnight_on_the_first() -> None:
    assert month_start(NOW) == datetime(2026, 12, 1, tzinfo=UTC)
    assert month_start(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 1, tzinfo=UTC)


def test_an_appointment_is_overdue_once_past_with_no_outcome() -> None:
    past = NOW - timedelta(minutes=1)
    assert outcome_overdue(at=past, status="scheduled", now=NOW)
    assert not outcome_overdue(at=NOW, status="scheduled", now=NOW)  # not yet past
    for recorded in ("attended", "was_not_brought", "did_not_attend", "cancelled"):
        assert not outcome_overdue(at=past, status=recorded, now=NOW)


def test_a_care_team_without_a_coordinator() -> None:
    assert lacks_coordinator([])
    assert lacks_coordinator(["lead_social_worker", "camhs"])
    assert not lacks_coordinator(["camhs", "care_coordinator"])


def test_a_report_period_runs_forward_and_spans_at_most_a_year() -> None:
    day = date(2026, 1, 1)
    assert period_problem(day, day) is None
    assert period_problem(day, day + timedelta(days=365)) is None
    assert period_problem(day, day + timedelta(days=366)) is not None
    assert period_problem(day, day - timedelta(days=1)) is not None


def test_bars_are_scaled_to_the_largest_or_to_a_given_full_scale() -> None:
    chart = bars("t", [("a", 10.0), ("b", 5.0), ("c", None)], unit=" min")
    assert [b.width for b in chart.bars] == [WIDTH, WIDTH / 2, 0.0]
    assert [b.shown for b in chart.bars] == ["10 min", "5 min", "none"]
    assert [b.width for b in bars("t", [("x", 50.0)], scale=100).bars] == [WIDTH / 2]
    assert bars("t", [("x", 0.0)]).bars[0].width == 0.0  # nothing to scale by: no bar, no division by zero
    tiny = bars("t", [("x", 0.001)]).bars[0]
    assert (tiny.width, tiny.shown) == (0.0, "0")  # a bar as long as its label says
