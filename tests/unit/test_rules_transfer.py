"""The transfer rules without I/O: which moves open a transfer, the handover checklist, who may tick what,
the status steps, and when a transfer nobody has accepted is chased."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from schemas.enums import ClosureReason, ClosureStance, TransferStatus
from services.closures.rules import ClosureFacts, blockers
from services.kernel.worktime.rules import DEFAULT_CALENDAR, WorkingCalendar
from services.transfers.rules import (
    ChecklistFacts,
    LaState,
    LiveTransfer,
    Move,
    RefusalKind,
    TransferChange,
    TransferItem,
    chase_due,
    completion_refusal,
    moves,
    outstanding,
    step_refusal,
    superseded,
    thresholds_passed,
    tick_refusal,
)

RES, RESP = TransferChange.residence, TransferChange.responsibility


# --- which moves open a transfer ---------------------------------------------------------------------------


def test_moving_to_live_in_another_la_opens_a_residence_transfer() -> None:
    found = moves(LaState("CEC", None), LaState("CEC", "MAN"))
    assert found == [Move("CEC", "MAN", frozenset({RES}))]


def test_moving_back_into_the_responsible_la_is_a_transfer_too() -> None:
    """Jez went back to his mother: the team holding his plan, in his father's area, was never told."""
    assert moves(LaState("CEC", "MAN"), LaState("CEC", None)) == [Move("MAN", "CEC", frozenset({RES}))]
    assert moves(LaState("CEC", "MAN"), LaState("CEC", "CEC")) == [Move("MAN", "CEC", frozenset({RES}))]


def test_recording_the_residence_as_the_responsible_la_is_no_move() -> None:
    assert moves(LaState("CEC", None), LaState("CEC", "CEC")) == []
    assert moves(LaState("CEC", "CEC"), LaState("CEC", None)) == []
    assert moves(LaState("CEC", "MAN"), LaState("CEC", "MAN")) == []


def test_a_new_responsible_la_opens_a_responsibility_transfer() -> None:
    assert moves(LaState("CEC", "MAN"), LaState("MAN", "MAN")) == [Move("CEC", "MAN", frozenset({RESP}))]


def test_both_changing_between_the_same_two_las_make_one_transfer() -> None:
    assert moves(LaState("CEC", None), LaState("MAN", "MAN")) == [Move("CEC", "MAN", frozenset({RES, RESP}))]


def test_different_pairs_make_separate_transfers() -> None:
    found = moves(LaState("CEC", "MAN"), LaState("LIV", "WAR"))
    assert sorted((m.from_la, m.to_la, sorted(m.changed)) for m in found) == [
        ("CEC", "LIV", [RESP]),
        ("MAN", "WAR", [RES]),
    ]


def test_a_later_move_of_the_same_kind_supersedes_the_unfinished_transfer() -> None:
    live = [
        LiveTransfer(1, frozenset({RES}), TransferStatus.open),
        LiveTransfer(2, frozenset({RESP}), TransferStatus.accepted),
        LiveTransfer(3, frozenset({RES}), TransferStatus.completed),
        LiveTransfer(4, frozenset({RES}), TransferStatus.declined),
    ]
    assert superseded(live, Move("MAN", "LIV", frozenset({RES}))) == [1]
    assert superseded(live, Move("CEC", "LIV", frozenset({RES, RESP}))) == [1, 2]


# --- status steps ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "to", "allowed"),
    [
        (TransferStatus.open, TransferStatus.accepted, True),
        (TransferStatus.open, TransferStatus.declined, True),
        (TransferStatus.open, TransferStatus.withdrawn, True),
        (TransferStatus.accepted, TransferStatus.completed, True),
        (TransferStatus.accepted, TransferStatus.withdrawn, True),
        (TransferStatus.accepted, TransferStatus.accepted, False),
        (TransferStatus.accepted, TransferStatus.declined, False),
        (TransferStatus.declined, TransferStatus.accepted, False),
        (TransferStatus.completed, TransferStatus.withdrawn, False),
        (TransferStatus.withdrawn, TransferStatus.completed, False),
    ],
)
def test_status_steps(current: TransferStatus, to: TransferStatus, allowed: bool) -> None:
    assert (step_refusal(current, to) is None) is allowed


# --- the handover checklist --------------------------------------------------------------------------------

CP_MOVE = ChecklistFacts(
    to_la="MAN", changed=frozenset({RES}), statuses=frozenset({"cp_plan"}), accepted=False
)


def _items(facts: ChecklistFacts) -> list[str]:
    return [str(s.item) for s in outstanding(facts)]


def test_a_cp_plan_child_moving_house_needs_every_item() -> None:
    assert _items(CP_MOVE) == [
        "accepted",
        "receiving_lead_social_worker",
        "status_confirmed",
        "care_plan_shared",
        "gp_registration",
        "education_placement",
        "camhs",
        "young_persons_views",
        "transfer_in_conference",
    ]


def test_a_change_of_responsibility_only_with_no_statutory_status_needs_less() -> None:
    facts = ChecklistFacts(
        to_la="MAN", changed=frozenset({RESP}), statuses=frozenset({"early_help"}), accepted=True
    )
    assert _items(facts) == ["care_plan_shared", "young_persons_views"]


def test_a_safety_plan_must_be_shared_when_there_is_one() -> None:
    facts = ChecklistFacts(
        to_la="MAN", changed=frozenset({RESP}), statuses=frozenset(), accepted=True, has_safety_plan=True
    )
    assert "safety_plan_shared" in _items(facts)


def test_ticked_items_backed_by_facts_count_only_while_the_facts_hold() -> None:
    ticked = frozenset({TransferItem.receiving_lead_social_worker, TransferItem.care_plan_shared})
    without = ChecklistFacts(
        to_la="MAN", changed=frozenset({RESP}), statuses=frozenset({"cin"}), accepted=True, ticked=ticked
    )
    assert {"receiving_lead_social_worker", "care_plan_shared"} <= set(_items(without))
    held = ChecklistFacts(
        to_la="MAN",
        changed=frozenset({RESP}),
        statuses=frozenset({"cin"}),
        accepted=True,
        ticked=ticked,
        receiving_lead_social_worker=True,
        has_care_plan=True,
    )
    assert _items(held) == ["status_confirmed", "young_persons_views"]


def test_completion_is_refused_naming_everything_outstanding_then_allowed() -> None:
    refusal = completion_refusal(TransferStatus.open, CP_MOVE)
    assert refusal is not None
    assert "accepted (the receiving local authority has accepted the transfer)" in refusal
    assert "gp_registration (GP registration updated)" in refusal
    everything = frozenset(TransferItem) - {TransferItem.accepted}
    done = ChecklistFacts(
        to_la="MAN",
        changed=frozenset({RES}),
        statuses=frozenset({"cp_plan"}),
        accepted=True,
        ticked=everything,
        receiving_lead_social_worker=True,
        has_care_plan=True,
    )
    assert completion_refusal(TransferStatus.accepted, done) is None
    assert (
        completion_refusal(TransferStatus.declined, done)
        == "the transfer is declined: it cannot be completed"
    )


@pytest.mark.parametrize(
    ("item", "ticker_la", "on", "kind", "words"),
    [
        (TransferItem.accepted, "MAN", None, RefusalKind.invalid, "by accepting the transfer"),
        (
            TransferItem.status_confirmed,
            "CEC",
            None,
            RefusalKind.forbidden,
            "someone of the receiving LA (MAN)",
        ),
        (TransferItem.transfer_in_conference, "MAN", None, RefusalKind.invalid, "needs the date"),
        (TransferItem.receiving_lead_social_worker, "MAN", None, RefusalKind.conflict, "add them first"),
        (TransferItem.care_plan_shared, "CEC", None, RefusalKind.conflict, "no current care plan"),
        (TransferItem.gp_registration, "CEC", None, RefusalKind.conflict, "already ticked"),
    ],
)
def test_tick_refusals(
    item: TransferItem, ticker_la: str, on: date | None, kind: RefusalKind, words: str
) -> None:
    facts = ChecklistFacts(
        to_la="MAN",
        changed=frozenset({RES}),
        statuses=frozenset({"cp_plan"}),
        accepted=False,
        ticked=frozenset({TransferItem.gp_registration}),
    )
    refusal = tick_refusal(item, facts, status=TransferStatus.open, ticker_la=ticker_la, on=on)
    assert refusal is not None
    assert refusal.kind == kind
    assert words in refusal.reason


def test_ticks_allowed_to_either_la_and_refused_once_the_transfer_ended() -> None:
    for la in ("CEC", "MAN", None):
        assert (
            tick_refusal(
                TransferItem.gp_registration, CP_MOVE, status=TransferStatus.open, ticker_la=la, on=None
            )
            is None
        )
    conference = tick_refusal(
        TransferItem.transfer_in_conference,
        CP_MOVE,
        status=TransferStatus.accepted,
        ticker_la="MAN",
        on=date(2026, 12, 9),
    )
    assert conference is None
    ended = tick_refusal(
        TransferItem.camhs, CP_MOVE, status=TransferStatus.declined, ticker_la="MAN", on=None
    )
    assert ended is not None and ended.kind == RefusalKind.conflict


# --- chasing -----------------------------------------------------------------------------------------------

FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_working_days_skip_the_weekend() -> None:
    add_working_days = DEFAULT_CALENDAR.add_working_days
    assert add_working_days(FRIDAY, 1) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday
    assert add_working_days(FRIDAY, 5) == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # the next Friday
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert add_working_days(saturday, 1) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_transfer_opened_before_easter_waits_out_good_friday_and_easter_monday() -> None:
    thursday = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)  # 11:00 BST, Maundy Thursday
    tuesday_after = datetime(2026, 4, 13, 10, 0, tzinfo=UTC)  # Fri 3 and Mon 6 April are bank holidays
    assert (
        thresholds_passed(
            opened_at=thursday, now=datetime(2026, 4, 9, 10, 0, tzinfo=UTC), every_working_days=5
        )
        == 0
    )
    assert (
        thresholds_passed(opened_at=thursday, now=tuesday_after - timedelta(minutes=1), every_working_days=5)
        == 0
    )
    assert thresholds_passed(opened_at=thursday, now=tuesday_after, every_working_days=5) == 1
    assert (
        chase_due(
            status=TransferStatus.open, opened_at=thursday, chased=0, now=tuesday_after, every_working_days=5
        )
        == 1
    )


def test_christmas_substitute_days_are_not_working_days_and_the_calendar_is_configurable() -> None:
    christmas_eve = datetime(2027, 12, 24, 10, 0, tzinfo=UTC)  # Friday; 25/26 fall on the weekend
    # Monday 27 and Tuesday 28 December 2027 are the substitute days: the first working day is the 29th.
    assert (
        thresholds_passed(
            opened_at=christmas_eve, now=datetime(2027, 12, 29, 10, 0, tzinfo=UTC), every_working_days=1
        )
        == 1
    )
    assert (
        thresholds_passed(
            opened_at=christmas_eve, now=datetime(2027, 12, 28, 23, 0, tzinfo=UTC), every_working_days=1
        )
        == 0
    )
    seven_days = WorkingCalendar(days=frozenset(range(7)))  # a service that works every day but holidays
    assert (
        thresholds_passed(
            opened_at=christmas_eve,
            now=datetime(2027, 12, 29, 10, 0, tzinfo=UTC),
            every_working_days=1,
            calendar=seven_days,
        )
        == 1
    )


def test_thresholds_passed() -> None:
    first = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert thresholds_passed(opened_at=FRIDAY, now=first.replace(minute=0, hour=9), every_working_days=5) == 0
    assert thresholds_passed(opened_at=FRIDAY, now=first, every_working_days=5) == 1
    assert (
        thresholds_passed(
            opened_at=FRIDAY, now=datetime(2026, 12, 11, 10, 0, tzinfo=UTC), every_working_days=5
        )
        == 2
    )


def test_a_transfer_is_chased_once_per_threshold_and_only_while_open() -> None:
    later = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # past the first threshold (Friday 4th, 10:00)
    assert (
        chase_due(status=TransferStatus.open, opened_at=FRIDAY, chased=0, now=later, every_working_days=5)
        == 1
    )
    assert (
        chase_due(status=TransferStatus.open, opened_at=FRIDAY, chased=1, now=later, every_working_days=5)
        is None
    )
    assert (
        chase_due(status=TransferStatus.accepted, opened_at=FRIDAY, chased=0, now=later, every_working_days=5)
        is None
    )
    much_later = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)  # four thresholds on: one chase, not a backlog
    assert (
        chase_due(
            status=TransferStatus.open, opened_at=FRIDAY, chased=1, now=much_later, every_working_days=5
        )
        == 4
    )


# --- the sending lead social worker stays until the handover is done ---------------------------------------


def test_the_lead_social_worker_cannot_close_while_a_transfer_is_in_progress() -> None:
    base = ClosureFacts(
        reason=ClosureReason.transferred,
        consultation_ends=FRIDAY,
        key_people={},
        lead_social_workers=frozenset({1}),
        responses={2: ClosureStance.agree},
        member_is_lead_social_worker=True,
    )
    assert blockers(base, now=FRIDAY) == []
    during = blockers(replace(base, live_transfer_id=7), now=FRIDAY)
    assert during == [
        "transfer 7 between local authorities is in progress: the lead social worker stays on the care team "
        "until the handover is completed"
    ]
    other_member = replace(base, live_transfer_id=7, member_is_lead_social_worker=False)
    assert blockers(other_member, now=FRIDAY) == []
