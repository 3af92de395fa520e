"""The system administrator in a real browser (Chromium, driven by Playwright) against a real `liaison run`
stack: lists users and teams, adds a user (their token and link code shown once), issues a Telegram link
code, and deactivates a leaver whose own browser is signed in at that moment: the leaver's next page is
refused (back to sign-in). axe-core checks every admin page (no serious or critical WCAG 2.2 AA issue)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.browser.conftest import assert_accessible, people, registered
from tests.integration.browser.test_browser import Story, _sign_in
from tests.integration.conftest import Mailbox
from tests.integration.test_stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.stack, pytest.mark.browser]


@pytest.fixture(scope="module")
def story(stack: Stack, smtp: tuple[Mailbox, int]) -> Story:
    api, auth = people(
        stack,
        [
            ("OPS", "other", []),
            ("CEC-CSC", "social_care", ["--la", "CEC"]),
            ("CEC-SG", "social_care", ["--la", "CEC"]),
        ],
        [
            ("root", "Ada Admin", "admin", "OPS", ["--email", "root@example.org"]),
            ("lead", "Lee Lead", "safeguarding_lead", "CEC-SG", []),
            ("leaver", "Lou Leaver", "social_worker", "CEC-CSC", ["--email", "lou@example.org"]),
        ],
    )
    with httpx.Client(base_url=api, timeout=10) as http:
        ref = registered(http, auth["lead"], "leaver")
    return Story(api, ref, smtp[0], stack)


def test_the_admin_deactivates_a_user_whose_open_session_is_then_refused(story: Story, chromium: Any) -> None:
    theirs = chromium.new_context()
    leaver = theirs.new_page()
    leaver.goto(f"{story.api}/account")
    _sign_in(leaver, story, "lou@example.org", 0)
    leaver.get_by_role("heading", name="My account").wait_for()
    assert "My API tokens" in leaver.content()
    assert_accessible(leaver, "account")

    mine = chromium.new_context(viewport={"width": 1024, "height": 800})
    admin = mine.new_page()
    admin.goto(f"{story.api}/admin/users")
    _sign_in(admin, story, "root@example.org", 0)
    admin.get_by_role("heading", name="Users").wait_for()
    assert_accessible(admin, "users")
    admin.get_by_label("Status").select_option("active")
    admin.get_by_role("button", name="Show").click()
    admin.get_by_role("link", name="Teams", exact=True).first.click()
    admin.get_by_role("heading", name="Teams").wait_for()
    assert_accessible(admin, "teams")

    admin.goto(f"{story.api}/admin/users/new")
    admin.get_by_role("button", name="Add user").click()  # nothing filled in
    admin.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(admin, "add-user-errors")
    admin.get_by_label("Username").fill("newbie")
    admin.get_by_label("Name", exact=True).fill("Nat Newbie")
    admin.get_by_label("Role").select_option("clinician")
    admin.get_by_label("Team").select_option("CEC-CSC")
    admin.get_by_role("button", name="Add user").click()
    admin.get_by_role("heading", name="User added: Nat Newbie").wait_for()
    assert admin.locator("#token").inner_text() and admin.locator("#link-code").inner_text()
    assert_accessible(admin, "user-added")

    admin.goto(f"{story.api}/admin/users/leaver")
    assert_accessible(admin, "user")
    admin.get_by_role("button", name="Issue a new Telegram link code").click()
    admin.get_by_role("heading", name="New Telegram link code: Lou Leaver").wait_for()
    admin.get_by_role("link", name="Back to Lou Leaver").click()
    admin.get_by_role("link", name="Deactivate Lou Leaver").click()
    admin.get_by_role("heading", name="Deactivate Lou Leaver?").wait_for()
    assert_accessible(admin, "deactivate")
    admin.get_by_role("button", name="Deactivate Lou Leaver").click()
    admin.get_by_role("heading", name="Lou Leaver is deactivated").wait_for()
    assert admin.locator("#tokens-revoked").inner_text() == "1"
    assert admin.locator("#young-people-affected").inner_text() == "1"
    assert_accessible(admin, "deactivated")

    leaver.get_by_role("link", name="My work").click()  # their next page, in the browser still open
    leaver.get_by_role("heading", name="Sign in to liaison").wait_for()
    assert "/sign-in" in leaver.url and "Lou Leaver" not in leaver.content()
    theirs.close()
    mine.close()
