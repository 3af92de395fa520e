"""The web front end's pure parts: Acknowledge links, session lifetimes, the chronology's agency and
filters, and where a sign-in may send the browser next."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.chronology import rules as chronology_rules
from services.notifications import links
from services.staff.rules import web_session_alive
from web.auth import safe_next

KEY = "a-test-key-for-acknowledge-links-0123456789"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_a_link_names_its_notification_and_recipient_until_it_expires() -> None:
    token = links.make(key=KEY, notification_id=12, recipient_id=7, now=NOW, life=timedelta(hours=72))
    link = links.check(key=KEY, token=token, now=NOW + timedelta(hours=71))
    assert (link.notification_id, link.recipient_id) == (12, 7)
    with pytest.raises(links.LinkRefused) as expired:
        links.check(key=KEY, token=token, now=NOW + timedelta(hours=72))
    assert expired.value.why == "expired"
    assert (
        links.url("https://liaison.example.org/", token)
        == f"https://liaison.example.org/alerts/acknowledge/{token}"
    )


@given(
    part=st.integers(min_value=0, max_value=3),
    value=st.integers(min_value=0, max_value=10**12),
)
def test_changing_any_part_of_a_link_makes_it_invalid_never_another_alert(part: int, value: int) -> None:
    token = links.make(key=KEY, notification_id=12, recipient_id=7, now=NOW, life=timedelta(hours=1))
    parts = token.split(".")
    changed = str(value) if part < 3 else f"{value:032x}"[:32]
    if changed == parts[part]:
        return
    parts[part] = changed
    with pytest.raises(links.LinkRefused) as refused:
        links.check(key=KEY, token=".".join(parts), now=NOW)
    assert refused.value.why == "invalid"


@pytest.mark.parametrize("token", ["", "1.2.3", "a.b.c.d", "1.2.3.4.5", "9" * 40 + ".1.1." + "0" * 32])
def test_malformed_links_are_invalid(token: str) -> None:
    with pytest.raises(links.LinkRefused):
        links.check(key=KEY, token=token, now=NOW)


def test_another_key_s_link_is_invalid() -> None:
    token = links.make(key=KEY, notification_id=1, recipient_id=1, now=NOW, life=timedelta(hours=1))
    with pytest.raises(links.LinkRefused):
        links.check(key=KEY + "x", token=token, now=NOW)


@pytest.mark.parametrize(
    ("idle", "age", "alive"),
    [(29, 11 * 60, True), (30, 60, False), (1, 12 * 60, False), (0, 0, True)],
)
def test_a_session_lives_within_its_idle_and_absolute_timeouts(idle: int, age: int, alive: bool) -> None:
    assert (
        web_session_alive(
            created_at=NOW - timedelta(minutes=age),
            last_seen_at=NOW - timedelta(minutes=idle),
            now=NOW,
            idle=timedelta(minutes=30),
            absolute=timedelta(hours=12),
        )
        is alive
    )


def test_an_entry_s_agency_is_the_hospital_s_or_the_actor_s() -> None:
    agencies = {"jsmith": "social_care"}
    assert chronology_rules.agency_of("attendance", {"by": "jsmith"}, agencies) == "acute_liaison"
    assert chronology_rules.agency_of("acknowledged", {"by": "jsmith"}, agencies) == "social_care"
    assert chronology_rules.agency_of("care_team_changed", {"username": "jsmith"}, agencies) == "social_care"
    assert chronology_rules.agency_of("moved", {"from": "CEC"}, agencies) is None
    assert chronology_rules.agency_of("acknowledged", {"by": "gone"}, agencies) is None


def test_the_filters_keep_the_kinds_agencies_and_days_asked_for() -> None:
    at = datetime(2026, 11, 28, 23, 59, tzinfo=UTC)

    def kept(**filters: object) -> bool:
        base: dict[str, object] = {
            "kinds": frozenset(),
            "agencies": frozenset(),
            "since": None,
            "until": None,
        }
        return chronology_rules.kept(kind="attendance", agency="acute_liaison", at=at, **{**base, **filters})  # type: ignore[arg-type]

    assert kept()
    assert kept(kinds=frozenset({"attendance", "moved"})) and not kept(kinds=frozenset({"moved"}))
    assert kept(agencies=frozenset({"acute_liaison"})) and not kept(agencies=frozenset({"camhs"}))
    assert kept(since=date(2026, 11, 28), until=date(2026, 11, 28))
    assert not kept(since=date(2026, 11, 29)) and not kept(until=date(2026, 11, 27))


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/young-people/YP-1", "/young-people/YP-1"),
        ("/caseload?q=a", "/caseload?q=a"),
        ("//evil.example.org/", "/my-work"),
        ("https://evil.example.org/", "/my-work"),
        ("/\\evil.example.org", "/my-work"),
        ("", "/my-work"),
        (None, "/my-work"),
    ],
)
def test_after_sign_in_the_browser_goes_only_to_a_page_of_this_site(asked: str | None, goes: str) -> None:
    assert safe_next(asked) == goes
