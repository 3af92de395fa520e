"""The web front end in a real browser (Chromium, driven by Playwright) against a real `liaison run`
stack and a real SMTP server: a social worker gets the alert email, opens its link, acknowledges, signs in
through the emailed link, finds the young person by search and reads the chronology; a stranger's
session, a reused sign-in link and expired or forged acknowledgement links are refused with a clear page.
axe-core checks every page (no serious or critical WCAG 2.2 AA violation)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from typing import Any

import httpx
import pytest

from services.kernel.clock import utcnow
from services.notifications import links
from tests.integration.browser.conftest import SECRET, assert_accessible, people, registered
from tests.integration.conftest import Mailbox, attendance
from tests.integration.test_stack import Stack, _eventually

pytestmark = [pytest.mark.integration, pytest.mark.stack, pytest.mark.browser]

SIGN_IN = re.compile(r"(http://\S+/sign-in/\S+)")
ACKNOWLEDGE = re.compile(r"(http://\S+/alerts/acknowledge/\S+)")


@dataclass
class Story:
    api: str
    ref: str
    box: Mailbox
    stack: Stack


def _body(mail: Message) -> str:
    return mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


def _mail(story: Story, to: str, subject: str, seen: int = 0) -> Message:
    """The `seen`-th (from 0) email to `to` whose subject has `subject`, waiting for it."""

    def found() -> Message | None:
        mine = [m for m in story.box.messages if m["To"] == to and subject in m["Subject"]]
        return mine[seen] if len(mine) > seen else None

    mail: Message = _eventually(found, 30, f"an email to {to} about {subject}", story.stack)
    return mail


@pytest.fixture(scope="module")
def story(stack: Stack, smtp: tuple[Mailbox, int]) -> Story:
    api, auth = people(
        stack,
        [
            ("CEC-CSC", "social_care", ["--la", "CEC"]),
            ("CEC-SG", "social_care", ["--la", "CEC"]),
            ("FIF-CSC", "social_care", ["--la", "FIF"]),
            ("RBT-LIA", "acute_liaison", []),
        ],
        [
            ("lead", "Lee Lead", "safeguarding_lead", "CEC-SG", ["--email", "lead@example.org"]),
            ("jsmith", "Jo Smith", "social_worker", "CEC-CSC", ["--email", "jo.smith@example.org"]),
            ("stranger", "Sam Stranger", "social_worker", "FIF-CSC", ["--email", "sam@example.org"]),
            ("hosp", "Hospital", "liaison", "RBT-LIA", []),
        ],
    )
    with httpx.Client(base_url=api, timeout=10) as http:
        ref = registered(http, auth["lead"], "jsmith")
        assert http.post("/api/v1/attendances", json=attendance(), headers=auth["hosp"]).status_code == 202
    return Story(api, ref, smtp[0], stack)


def _sign_in(page: Any, story: Story, email: str, seen: int) -> str:
    """Ask for a link on the page the browser is at (the sign-in page), open the emailed link, press Sign
    in. Returns the link."""
    page.get_by_label("Work email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    assert_accessible(page, "sign-in-sent")
    link = SIGN_IN.search(_body(_mail(story, email, "sign-in link", seen))).group(1)  # type: ignore[union-attr]
    page.goto(link)
    assert_accessible(page, "sign-in-confirm")
    page.get_by_role("button", name="Sign in").click()
    return link


def test_a_social_worker_acknowledges_from_the_email_signs_in_and_reads_the_chronology(
    story: Story, chromium: Any
) -> None:
    mail = _mail(story, "jo.smith@example.org", story.ref)
    assert "with your liaison token" not in _body(mail)
    link = ACKNOWLEDGE.search(_body(mail)).group(1)  # type: ignore[union-attr]

    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text().endswith(story.ref)
    assert "Alex" not in page.content()  # before sign-in, the ref only
    assert_accessible(page, "acknowledge")
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_role("heading", name="Alert acknowledged").wait_for()
    assert_accessible(page, "acknowledged")

    page.get_by_role("link", name="Open the record").click()
    page.get_by_role("heading", name="Sign in to liaison").wait_for()
    assert "next=/young-people/" in page.url
    assert_accessible(page, "sign-in")
    _sign_in(page, story, "jo.smith@example.org", 0)
    page.get_by_role("heading", name="Alex Testperson").wait_for()  # back where the link was going
    assert page.url.endswith(f"/young-people/{story.ref}")
    assert "lead social worker" in page.content()
    assert_accessible(page, "young-person")

    page.get_by_role("link", name="Caseload").click()
    page.get_by_label("Search by ref, NHS number or name").fill("testperson")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=story.ref).click()
    page.get_by_role("link", name="Read the chronology").click()
    page.get_by_role("heading", name="Chronology").wait_for()
    rows = page.locator("#chronology tbody tr").all_inner_texts()
    assert any("attendance" in r for r in rows) and any("acknowledged by jsmith via email" in r for r in rows)
    assert_accessible(page, "chronology")

    page.goto(f"{story.api}/caseload?q=999+000+0018")
    assert page.get_by_role("link", name=story.ref).count() == 1
    assert_accessible(page, "caseload")
    page.get_by_role("link", name="My work").click()
    page.get_by_text("0 alerts waiting").wait_for()
    assert_accessible(page, "my-work")
    page.goto(f"{story.api}/alerts/{link.rsplit('/', 1)[1].split('.')[0]}")
    assert "acknowledged" in page.content() and "email" in page.content()
    assert_accessible(page, "alert")

    phone = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    small = phone.new_page()
    small.goto(link)  # a deep link on a phone: it says it is done, and the page fits
    small.get_by_text("already been acknowledged").wait_for()
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(small, "acknowledge-phone")
    phone.close()
    context.close()


def test_a_stranger_a_reused_link_and_expired_or_forged_links_are_refused_with_a_clear_page(
    story: Story, chromium: Any
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{story.api}/young-people/{story.ref}")
    link = _sign_in(page, story, "sam@example.org", 0)
    page.get_by_role("heading", name="You cannot see this").wait_for()
    assert "Alex" not in page.content()
    assert_accessible(page, "refused")
    answer = page.goto(f"{story.api}/young-people/{story.ref}/chronology.csv")
    assert answer is not None and answer.status == 403

    fresh = context.browser.new_context()
    again = fresh.new_page()
    again.goto(link)  # the stranger's link, used already
    again.get_by_role("button", name="Sign in").click()
    again.get_by_text("It has already been used").wait_for()
    assert_accessible(again, "sign-in-refused")

    token = (
        ACKNOWLEDGE.search(_body(_mail(story, "jo.smith@example.org", story.ref))).group(1).rsplit("/", 1)[1]
    )  # type: ignore[union-attr]
    n, recipient, expires, signature = token.split(".")
    old = links.make(
        key=SECRET,
        notification_id=int(n),
        recipient_id=int(recipient),
        now=utcnow() - timedelta(days=4),
        life=timedelta(hours=72),
    )
    again.goto(f"{story.api}/alerts/acknowledge/{old}")
    again.get_by_text("It has expired").wait_for()
    assert_accessible(again, "acknowledge-expired")
    again.goto(f"{story.api}/alerts/acknowledge/{n}.{int(recipient) + 1}.{expires}.{signature}")
    again.get_by_text("not a valid link").wait_for()
    fresh.close()
    context.close()


def test_a_safeguarding_lead_registers_a_young_person_and_builds_the_care_team(
    story: Story, chromium: Any
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{story.api}/caseload")
    _sign_in(page, story, "lead@example.org", 0)
    page.get_by_role("link", name="Register a young person").click()
    assert_accessible(page, "register")
    page.get_by_label("NHS number").fill("999 000 0019")  # a wrong check digit
    page.get_by_label("Given name").fill("Riley")
    page.get_by_label("Family name").fill("Example")
    page.get_by_label("Date of birth").fill("2009-06-01")
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, "register-errors")
    page.get_by_label("NHS number").fill("999 000 0026")
    page.get_by_label("Looked after child").check()
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="Riley Example").wait_for()
    page.get_by_text("Add someone to the care team").click()
    page.get_by_label("Their liaison username").fill("jsmith")
    page.get_by_label("Their role in the care team").select_option("lead_social_worker")
    page.get_by_role("button", name="Add to the care team").click()
    page.get_by_text("jsmith has been added").wait_for()
    assert "lead social worker" in page.content()
    assert_accessible(page, "care-team-added")
    context.close()
