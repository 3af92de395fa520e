"""The texts and buttons of /discharge, /transfer, /chronology and the capacity check: nothing private in
them, the API's readiness words shown as given, one Telegram message at most, button data within 64 bytes
and matching the handlers' patterns."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot import capacity, chronology, discharge, transfer
from bot.discharge_text import checklist_text, follow_up_text, issued_text, not_draft_text, parse_when
from schemas.api.chronology import Chronology, ChronologyEvent
from schemas.api.transfers import ItemRead, TransferItem, TransferRead
from schemas.enums import TransferStatus
from tests.unit.bot.test_plan_text import NOW, REF, follow_up, leaks, overview
from tests.unit.bot.test_plan_text import discharge as plan

WEB = "https://liaison.example.org/young-people/YP-7KQ2M-9XW4T/plans"


def test_the_discharge_checklist_shows_what_the_plan_holds_and_the_apis_missing_list_as_given() -> None:
    text = checklist_text(REF, plan(), overview(), WEB)
    assert text.startswith(f"Discharge plan 3 for {REF}: draft")
    assert "✓ Care coordinator: nurse (RBT-LIA)" in text
    assert "✓ Follow-ups: 2, 1 within the first-contact target (first contact due by 30 Nov 2026" in text
    assert "✓ Review date: 01 Feb 2027" in text and "✓ Crisis plan: recorded" in text
    assert "✓ Out-of-hours contacts: 1" in text
    assert "✗ Care plan: none" in text and "✓ Safety plan: version 2" in text and WEB in text
    assert (
        "Not ready to issue. Still missing:\n- a care plan (NICE NG225: a safety plan is not a care plan)"
        in text
    )
    assert "Warnings: no risk formulation" in text
    assert leaks(text) == []  # no crisis plan, contact, place, display name


def test_a_ready_draft_and_the_readiness_the_bot_never_works_out_itself() -> None:
    ready = {"ready": True, "missing": [], "warnings": [], "first_contact_due_by": NOW.isoformat()}
    text = checklist_text(REF, plan(readiness=ready, care_coordinator=None), overview(), WEB)
    # The API says ready: the bot shows that, even with no care coordinator on its own list.
    assert "Ready to issue." in text and "✗ Care coordinator: not named" in text


def test_a_plan_that_is_not_a_draft_and_an_issued_one() -> None:
    assert "has no discharge plan yet" in not_draft_text(REF, None)
    issued = plan(status="issued", issued_at="2026-11-28T10:00:00+00:00", readiness=None)
    assert "plan 3: issued, issued 28 Nov 2026 10:00 UTC. A change needs a new draft." in not_draft_text(
        REF, issued
    )
    assert issued_text(REF, issued) == f"Discharge plan 3 for {REF} is issued."


def test_a_follow_up_added_says_what_the_api_says_of_the_first_contact_target() -> None:
    at = NOW + timedelta(days=1)
    inside = plan(follow_ups=[follow_up(1, at=at)])
    assert follow_up_text(REF, inside, at).endswith("CEC-CAMHS, added: within the first-contact target.")
    late = plan(follow_ups=[{**follow_up(1, at=at), "within_first_contact_target": False}])
    assert "NOT within the first-contact target (first contact due by 30 Nov 2026 09:00 UTC)" in (
        follow_up_text(REF, late, at)
    )


def test_a_typed_time_is_read_as_utc_or_not_at_all() -> None:
    assert parse_when(" 2026-12-05 14:30 ") == datetime(2026, 12, 5, 14, 30, tzinfo=UTC)
    assert parse_when("tomorrow at noon") is None and parse_when("2026-13-05 14:30") is None


def _transfer(status: TransferStatus, done: set[TransferItem]) -> TransferRead:
    items = [
        ItemRead(
            item=item,
            label=item.value.replace("_", " "),
            required=item != TransferItem.camhs,
            done=item in done,
            ticked_by="man.tm" if item in done else None,
            ticked_at=NOW if item in done else None,
            note="Private note" if item in done else None,
        )
        for item in TransferItem
    ]
    return TransferRead(
        id=4,
        young_person_ref=REF,
        from_la="CEC",
        to_la="MAN",
        changed=[],
        status=status,
        responsible_now="CEC" if status == TransferStatus.open else "MAN",
        opened_at=NOW,
        opened_by="lead",
        accepted_at=None,
        accepted_by=None,
        ended_at=None,
        ended_by=None,
        end_note="Private reason",
        chased=0,
        checklist=items,
        outstanding=[i.item for i in items if i.required and not i.done],
    )


def test_the_transfer_checklist_and_its_buttons_follow_the_api() -> None:
    opened = _transfer(TransferStatus.open, set())
    text = transfer.checklist_text(REF, opened)
    assert text.startswith(f"Transfer 4 for {REF}: CEC to MAN, open (responsible now: CEC)")
    assert "✗ camhs (if it applies)" in text and "Outstanding: 9 required item(s)." in text
    data = [b.callback_data for row in transfer.keyboard(opened).inline_keyboard for b in row]  # type: ignore[union-attr]
    assert "trf:t:accepted" not in data and "trf:accept" in data and "trf:decline" in data
    assert "trf:complete" not in data
    for value in data:
        assert isinstance(value, str) and len(value.encode()) <= 64
        assert re.match(transfer.ITEM_PATTERN, value) or re.match(transfer.ACTION_PATTERN, value), value

    accepted = _transfer(TransferStatus.accepted, {TransferItem.accepted, TransferItem.gp_registration})
    text = transfer.checklist_text(REF, accepted)
    assert "✓ gp registration (man.tm, 28 Nov 2026)" in text and "Private" not in text
    data = [b.callback_data for row in transfer.keyboard(accepted).inline_keyboard for b in row]  # type: ignore[union-attr]
    assert "trf:complete" in data and "trf:accept" not in data and "trf:t:gp_registration" not in data
    assert transfer.keyboard(_transfer(TransferStatus.completed, set(TransferItem))) is None


def _chronology(count: int) -> Chronology:
    return Chronology(
        ref=REF,
        events=[
            ChronologyEvent(
                at=NOW + timedelta(minutes=n),
                kind="attendance",
                summary=f"Attendance at RBT: overdose, seen by Nurse Nancy {n}",
                detail={},
            )
            for n in range(count)
        ],
    )


def test_a_chronology_page_is_times_and_kinds_only_in_either_mode_and_named_adds_the_name() -> None:
    web = f"https://liaison.example.org/young-people/{REF}/chronology"
    text = chronology.page_text(_chronology(25), skip=10, count=10, web=web)
    lines = text.splitlines()
    assert lines[0] == f"Chronology of {REF}: events 6-15 of 25 (times in UTC)"
    assert lines[1] == "28 Nov 2026 12:05 attendance" and len(lines) == 12 and lines[-1].endswith(web)
    assert "RBT" not in text and "overdose" not in text and leaks(text) == []
    named = chronology.page_text(_chronology(3), skip=0, count=10, web=web, name="Alex Testperson")
    assert named.startswith(f"Chronology of {REF} (Alex Testperson): events 1-3 of 3")
    assert "overdose" not in named and "RBT" not in named and "Nurse Nancy" not in named
    assert "nothing recorded yet" in chronology.page_text(_chronology(0), skip=0, count=5, web=web)
    huge = chronology.page_text(_chronology(50), skip=0, count=50, web=web, name="A" * 200)
    assert len(huge) <= 4096 and huge.endswith(web)


@given(skip=st.integers(0, 999_999), count=st.integers(1, chronology.MOST), total=st.integers(0, 2000))
def test_the_older_button_fits_64_bytes_and_its_pattern(skip: int, count: int, total: int) -> None:
    markup = chronology.older_button("YP-ZZZZZ-ZZZZZ-" + "Z" * 17, skip=skip, count=count, total=total)
    if skip + count >= total:
        assert markup is None
        return
    assert markup is not None
    [[button]] = markup.inline_keyboard
    assert isinstance(button.callback_data, str) and len(button.callback_data.encode()) <= 64
    if skip + count <= 999_999:
        assert re.match(chronology.PATTERN, button.callback_data)


def test_discharge_and_capacity_buttons_match_their_handlers() -> None:
    menu = [b.callback_data for row in discharge._menu().inline_keyboard for b in row]
    assert all(isinstance(d, str) and re.match(discharge.MENU_PATTERN, d) for d in menu)
    frameworks = [b.callback_data for row in capacity.framework_keyboard().inline_keyboard for b in row]
    assert frameworks[:3] == ["cap:f:gillick", "cap:f:fraser", "cap:f:mca"] and frameworks[3] == "out:wnb"
    assert all(re.match(capacity.FRAMEWORK_PATTERN, d) for d in frameworks[:3] if isinstance(d, str))
    assert all(
        isinstance(b.callback_data, str) and re.match(capacity.YES_NO_PATTERN, b.callback_data)
        for which in ("c", "i")
        for b in capacity.yes_no(which).inline_keyboard[0]
    )
