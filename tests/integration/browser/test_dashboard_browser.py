"""A safeguarding lead in a real browser (Chromium, driven by Playwright) against a real `liaison run`
stack: the dashboard shows the alert nobody has acknowledged, the repeat attender and the young person
without a care coordinator, by ref; the partnership report page draws its charts and tables for the
period and offers the CSV. axe-core checks both pages (no serious or critical WCAG 2.2 AA issue)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.browser.conftest import assert_accessible, people, registered
from tests.integration.browser.test_browser import Story, _sign_in
from tests.integration.conftest import Mailbox, attendance
from tests.integration.test_stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.stack, pytest.mark.browser]


@pytest.fixture(scope="module")
def story(stack: Stack, smtp: tuple[Mailbox, int]) -> Story:
    api, auth = people(
        stack,
        [
            ("RBT-LIA", "acute_liaison", []),
            ("CEC-CSC", "social_care", ["--la", "CEC"]),
            ("CEC-SG", "social_care", ["--la", "CEC"]),
        ],
        [
            ("lead", "Lee Lead", "safeguarding_lead", "CEC-SG", ["--email", "lee@example.org"]),
            ("jsmith", "Jo Smith", "social_worker", "CEC-CSC", ["--email", "jo.smith@example.org"]),
            ("hosp", "Hal Hospital", "liaison", "RBT-LIA", []),
        ],
    )
    with httpx.Client(base_url=api, timeout=10) as http:
        ref = registered(http, auth["lead"], "jsmith")
        for body in (
            attendance("V1"),
            attendance("V2", reasons=["self_harm"], arrived_at="2026-11-30T21:00:00+00:00"),
        ):
            assert http.post("/api/v1/attendances", json=body, headers=auth["hosp"]).status_code == 202
        jo = auth["jsmith"]
        first = min(n["id"] for n in http.get("/api/v1/notifications", headers=jo).json())
        assert http.post(f"/api/v1/notifications/{first}/acknowledge", headers=jo).status_code == 200
    return Story(api, ref, smtp[0], stack)


def test_a_safeguarding_lead_reads_the_dashboard_and_the_partnership_report(
    story: Story, chromium: Any
) -> None:
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(f"{story.api}/dashboard")
    _sign_in(page, story, "lee@example.org", 0)
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.locator("#dashboard-alerts").get_by_role("link", name=story.ref).count() >= 1
    assert page.locator("#repeat-attenders").inner_text() == story.ref
    assert page.locator("#without-coordinator").inner_text() == story.ref
    assert "Alex" not in page.content()
    assert_accessible(page, "dashboard")

    page.get_by_role("link", name="Partnership report").first.click()
    page.get_by_role("heading", name="Partnership report").wait_for()
    assert page.locator("#attendances").inner_text() == "2"
    assert page.locator("#repeat-attenders").inner_text() == "1"
    assert page.locator("svg.liaison-chart").count() >= 3
    assert page.locator("#not-measured li").count() >= 1
    assert_accessible(page, "partnership-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these figures as CSV").click()
    assert download.value.suggested_filename.startswith("partnership-CEC-")
    context.close()
