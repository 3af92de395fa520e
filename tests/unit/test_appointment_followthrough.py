"""Follow-through of appointments over plain data: who is told a miss was withdrawn, which appointments may
be moved and by whom, what SIU S17 / FHIR entered-in-error do, where an SIU AE's ERR-2 points, and the
withdrawal message (ref only, why in words)."""

from __future__ import annotations

from pathlib import Path

import hl7 as python_hl7
import pytest

from schemas.enums import CareTeamRole, NotificationKind, Role, WithdrawalWhy
from services.appointments.rules import (
    IntakeAction,
    WithdrawalFacts,
    intake_change,
    move_refusal,
    who_is_told_of_withdrawal,
)
from services.intake import fhir_appointment, siu
from services.intake.hl7 import header
from services.kernel.identity import Principal
from services.people.access import CaseFacts, may_move_appointment
from worker.messages import notification_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COORD, LEAD, GP, CLINIC, SG, MANAGER = 1, 2, 3, 4, 5, 6
R = CareTeamRole


def facts(**changes: object) -> WithdrawalFacts:
    base: dict[str, object] = {
        "told_of_miss": [(COORD, R.care_coordinator), (LEAD, R.lead_social_worker)],
        "told_of_pattern": [
            (GP, R.gp),
            (CLINIC, R.camhs),
            (SG, R.safeguarding_lead),
            (COORD, R.care_coordinator),
        ],
        "counted": True,
        "misses_in_window": 2,
        "threshold": 2,
    }
    return WithdrawalFacts(**(base | changes))  # type: ignore[arg-type]


def told(decision_facts: WithdrawalFacts) -> dict[int, list[str]]:
    return {t.user_id: t.because for t in who_is_told_of_withdrawal(decision_facts).told}


def test_everyone_told_of_the_miss_is_told_of_its_withdrawal_once() -> None:
    decision = who_is_told_of_withdrawal(
        facts(
            told_of_miss=[
                (COORD, R.care_coordinator),
                (MANAGER, R.team_manager),
                (COORD, R.care_coordinator),
            ],
            misses_in_window=1,
        )
    )
    assert [(t.user_id, t.role, t.because) for t in decision.told] == [
        (COORD, R.care_coordinator, ["told_of_miss"]),
        (MANAGER, R.team_manager, ["told_of_miss"]),
    ]
    assert not decision.pattern_lifted


def test_a_withdrawal_that_takes_the_count_below_the_threshold_tells_those_told_of_it() -> None:
    decision = who_is_told_of_withdrawal(facts())
    assert decision.pattern_lifted
    assert told(facts()) == {
        COORD: ["told_of_miss", "told_of_pattern"],
        LEAD: ["told_of_miss"],
        GP: ["told_of_pattern"],
        CLINIC: ["told_of_pattern"],
        SG: ["told_of_pattern"],
    }


@pytest.mark.parametrize(
    "change",
    [
        {"misses_in_window": 3},  # still at the threshold without it
        {"misses_in_window": 1},  # it never reached it
        {"counted": False},  # outside the window: it did not count
    ],
)
def test_the_threshold_people_are_not_told_when_the_threshold_still_stands_or_never_counted_it(
    change: dict[str, object],
) -> None:
    decision = who_is_told_of_withdrawal(facts(**change))
    assert not decision.pattern_lifted
    assert set(told(facts(**change))) == {COORD, LEAD}


def test_nobody_told_of_a_miss_means_nobody_is_told_of_its_withdrawal() -> None:
    assert who_is_told_of_withdrawal(facts(told_of_miss=[], counted=False)).told == []


@pytest.mark.parametrize(
    ("status", "source", "refused_for"),
    [
        ("scheduled", "api", None),
        (
            "was_not_brought",
            "api",
            "has a recorded miss (was not brought): a missed appointment is not moved",
        ),
        ("did_not_attend", "api", "has a recorded miss (did not attend)"),
        ("attended", "api", "is attended: only an appointment not yet held is moved"),
        ("cancelled", "api", "is cancelled"),
        ("scheduled", "hl7", "comes from the booking system of RBT: move it there"),
        ("was_not_brought", "fhir", "has a recorded miss"),  # the miss is the reason that matters
    ],
)
def test_only_an_appointment_booked_in_liaison_and_not_yet_held_is_moved(
    status: str, source: str, refused_for: str | None
) -> None:
    refusal = move_refusal(label="appointment 3", status=status, source=source, facility="RBT")
    if refused_for is None:
        assert refusal is None
    else:
        assert refusal is not None and refusal.startswith("appointment 3 ") and refused_for in refusal


CAMHS, SOCIAL_CARE, ELSEWHERE = 40, 41, 42
CASE = CaseFacts("CEC", None, frozenset({7}), frozenset({CAMHS}))


def person(role: Role, team_id: int) -> Principal:
    return Principal(user_id=99, username="x", role=role, team_id=team_id, la_code=None)


def test_the_owning_clinic_may_move_its_appointment_but_not_hand_it_to_a_team_it_cannot_book_for() -> None:
    clinician = person(Role.clinician, CAMHS)
    assert may_move_appointment(clinician, CASE, owner_team_id=CAMHS, new_owner_team_id=None)
    assert may_move_appointment(clinician, CASE, owner_team_id=CAMHS, new_owner_team_id=CAMHS)
    assert not may_move_appointment(clinician, CASE, owner_team_id=CAMHS, new_owner_team_id=ELSEWHERE)
    assert not may_move_appointment(
        person(Role.clinician, ELSEWHERE), CASE, owner_team_id=CAMHS, new_owner_team_id=None
    )
    assert not may_move_appointment(
        person(Role.integration, CAMHS), CASE, owner_team_id=CAMHS, new_owner_team_id=None
    )


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, None),  # a booking liaison never had: nothing to delete
        ("scheduled", "cancelled"),
        ("was_not_brought", "cancelled"),  # the miss of a booking made in error is withdrawn
        ("did_not_attend", "cancelled"),
        ("attended", None),  # an arrival stands
        ("cancelled", None),
    ],
)
def test_a_deletion_cancels_the_booking_and_undoes_a_miss_of_it(
    current: str | None, expected: str | None
) -> None:
    assert intake_change(current, IntakeAction.deleted) == expected


def _message(name: str, **replace: str) -> python_hl7.Message:
    text = (FIXTURES / "hl7" / name).read_bytes().decode()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return python_hl7.parse(text)


def test_siu_s17_is_a_deletion() -> None:
    message = _message("siu-s17-delete.hl7")
    event = siu.schedule_event(message, header(message))
    assert (event.action, event.appointment_id, event.system) == (IntakeAction.deleted, "APPT5001", "hl7:RBT")


def test_fhir_entered_in_error_is_a_deletion_and_cancelled_a_cancellation() -> None:
    body = json_appointment()
    assert fhir_appointment.booking_from_appointment(body | {"status": "entered-in-error"})[1].action == (
        IntakeAction.deleted
    )
    assert fhir_appointment.booking_from_appointment(body | {"status": "cancelled"})[1].action == (
        IntakeAction.cancelled
    )


def json_appointment() -> dict[str, object]:
    import json

    loaded: dict[str, object] = json.loads((FIXTURES / "fhir" / "appointment-camhs-noshow.json").read_text())
    return loaded


NO_START = {
    "^^30^20261120093000^20261120100000": "",
    "health^L|20261120093000": "health^L|",
}


@pytest.mark.parametrize(
    ("replace", "field", "location", "code"),
    [
        ({}, "start", "SCH^1^11", "207"),  # a no-show still to come: the start read from SCH-11
        (NO_START, "start", "SCH^1^11", "101"),  # no start anywhere: SCH-11 is where it belongs
        ({"^^30^20261120093000^20261120100000": ""}, "start", "AIS^1^4", "207"),  # read from AIS-4
        ({}, "id", "SCH^1^2", "103"),  # another patient's appointment id: the filler id
        ({"|APPT5001^RBTPAS|": "||"}, "id", "SCH^1^1", "103"),  # ... the placer id when there is no filler id
    ],
)
def test_an_siu_ae_points_at_the_field_at_fault(
    replace: dict[str, str], field: str, location: str, code: str
) -> None:
    message = _message("siu-s26-noshow.hl7", **replace)
    event = siu.schedule_event(message, header(message))
    assert (siu.error_location(field, event), siu.error_code(field, event)) == (location, code)


REF = "YP-7KQ2M-9XW4T"


@pytest.mark.parametrize("why", list(WithdrawalWhy))
def test_a_withdrawal_message_says_why_in_words_names_the_ref_only_and_can_be_acknowledged(
    why: WithdrawalWhy,
) -> None:
    message = notification_message(
        kind="missed_appointment_withdrawn",
        notification_id=42,
        young_person_ref=REF,
        public_base_url="https://liaison.example.org/",
        detail=str(why),
    )
    assert message.subject == f"[liaison] Missed appointment withdrawn: {REF} - please acknowledge"
    assert f"Why: {why.words}.\n" in message.text
    assert "has been withdrawn" in message.text and "No action is needed" in message.text
    assert message.acknowledge_url.endswith("/api/v1/notifications/42/acknowledge")
    assert "/my-work, or with the bot's Acknowledge button" in message.text  # no "POST with a token"
    assert f"https://liaison.example.org/api/v1/young-people/{REF}/missed-appointments\n" in message.text
    assert NotificationKind.missed_appointment_withdrawn.label == "Missed appointment withdrawn"


def test_the_arrival_words_are_plain() -> None:
    assert WithdrawalWhy.arrived.words == "the clinic now reports the young person arrived"
    assert WithdrawalWhy.corrected_to("attended") == WithdrawalWhy.attended
    assert WithdrawalWhy.corrected_to("cancelled") == WithdrawalWhy.cancelled
    assert WithdrawalWhy.corrected_to("scheduled") == WithdrawalWhy.rescheduled
