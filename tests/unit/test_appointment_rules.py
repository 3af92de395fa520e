"""Appointments of any service over plain data: what an intake message does to an appointment, its kind,
who may book one or record its outcome, the unknown-owner gap, and SIU / FHIR Appointment mapping."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hl7 as python_hl7
import pytest

from schemas.enums import CareTeamRole, Role
from schemas.settings import Settings
from services.appointments.booking import IntakeBooking
from services.appointments.models import Appointment
from services.appointments.rules import IntakeAction, MissFacts, intake_change, kind_from, who_is_told
from services.appointments.withdrawal import event_of
from services.intake import fhir_appointment, siu
from services.intake.fhir import EncounterProblem
from services.intake.hl7 import AckCode, MessageProblem, header
from services.people.access import (
    CaseFacts,
    Principal,
    may_book_appointment,
    may_record_appointment_outcome,
)
from services.staff.models import Team

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAMHS_TEAM, OTHER_TEAM, MEMBER = 40, 41, 7
CASE = CaseFacts("CEC", None, frozenset({MEMBER}), frozenset({CAMHS_TEAM}))
LEAD, COORDINATOR, SG = 1, 2, 9


def who(role: Role, *, user_id: int = 99, team_id: int = OTHER_TEAM) -> Principal:
    return Principal(user_id=user_id, username="x", role=role, team_id=team_id, la_code=None)


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        (None, IntakeAction.booked, "scheduled"),
        (None, IntakeAction.noshow, "was_not_brought"),
        (None, IntakeAction.attended, "attended"),
        (None, IntakeAction.cancelled, "cancelled"),
        ("scheduled", IntakeAction.booked, "scheduled"),  # moved
        ("cancelled", IntakeAction.booked, "scheduled"),  # booked again
        ("was_not_brought", IntakeAction.booked, None),  # a booking never undoes an outcome
        ("attended", IntakeAction.booked, None),
        ("was_not_brought", IntakeAction.attended, "attended"),  # an arrival withdraws the miss
        ("did_not_attend", IntakeAction.attended, "attended"),
        ("attended", IntakeAction.attended, None),
        ("scheduled", IntakeAction.cancelled, "cancelled"),
        ("was_not_brought", IntakeAction.cancelled, None),  # cancelling the slot afterwards undoes no miss
        ("attended", IntakeAction.cancelled, None),
        ("scheduled", IntakeAction.noshow, "was_not_brought"),
        ("attended", IntakeAction.noshow, "was_not_brought"),  # the later word of the clinic
        ("was_not_brought", IntakeAction.noshow, None),  # a repeat
        ("did_not_attend", IntakeAction.noshow, None),  # a person's own record after a capacity check stands
    ],
)
def test_what_an_intake_message_does_to_an_appointment(
    current: str | None, action: IntakeAction, expected: str | None
) -> None:
    assert intake_change(current, action) == expected


@pytest.mark.parametrize(
    ("texts", "kind"),
    [
        (["Child and adolescent mental health"], "camhs"),
        (["CAMHS"], "camhs"),
        (["Follow-up", "Community Paediatrics"], "community_paediatrics"),
        (["Social care home visit"], "social_care_visit"),
        (["Orthopaedics"], "other"),
        ([], "other"),
    ],
)
def test_the_kind_comes_from_the_booking_systems_words(texts: list[str], kind: str) -> None:
    assert kind_from(texts) == kind


def test_whoever_may_assess_may_book_and_record_any_appointment() -> None:
    member = who(Role.clinician, user_id=MEMBER)
    assert may_book_appointment(member, CASE, owner_team_id=OTHER_TEAM)
    assert may_record_appointment_outcome(member, CASE, owner_team_id=None)


def test_someone_of_the_owning_team_may_book_only_when_the_team_is_on_the_care_team() -> None:
    colleague = who(Role.clinician, team_id=CAMHS_TEAM)
    assert may_book_appointment(colleague, CASE, owner_team_id=CAMHS_TEAM)
    stranger_team = who(Role.clinician, team_id=OTHER_TEAM)
    assert not may_book_appointment(stranger_team, CASE, owner_team_id=OTHER_TEAM)
    assert not may_book_appointment(colleague, CASE, owner_team_id=OTHER_TEAM)


def test_someone_of_the_owning_team_may_record_the_outcome_of_its_appointment_only() -> None:
    clinic = who(Role.clinician, team_id=OTHER_TEAM)
    assert may_record_appointment_outcome(clinic, CASE, owner_team_id=OTHER_TEAM)
    assert not may_record_appointment_outcome(clinic, CASE, owner_team_id=CAMHS_TEAM)
    assert not may_record_appointment_outcome(clinic, CASE, owner_team_id=None)
    system = who(Role.integration, team_id=OTHER_TEAM)
    assert not may_record_appointment_outcome(system, CASE, owner_team_id=OTHER_TEAM)


def test_at_the_threshold_an_unknown_owning_service_is_a_gap_and_the_fallbacks_are_told() -> None:
    facts = MissFacts(
        statuses=frozenset(),
        members=[(COORDINATOR, CareTeamRole.care_coordinator)],
        owners=[],
        safeguarding_leads=[SG],
        misses_in_window=2,
        threshold=2,
        unowned=1,
    )
    decision = who_is_told(facts)
    assert {t.user_id for t in decision.told} == {COORDINATOR, SG}
    assert any("the service that owns 1 of the missed appointments is not known" in g for g in decision.gaps)
    below = who_is_told(MissFacts(**{**facts.__dict__, "misses_in_window": 1}))
    assert not any("not known" in g for g in below.gaps)  # below the threshold no referrer is told anyway


def test_a_follow_up_is_an_appointment_named_and_keyed_as_one_of_its_plan() -> None:
    team = Team(code="CEC-CAMHS", name="Team CAMHS")
    follow_up = Appointment(id=7, kind="follow_up", discharge_plan_id=3, owner_team=team)
    camhs = Appointment(id=4, kind="camhs", owner_team=team)
    unowned = Appointment(id=5, kind="other", owner_team=None, facility="RBT")
    assert (follow_up.label, follow_up.what, event_of(follow_up).key) == (
        "follow-up 7",
        "Follow-up with Team CAMHS",
        "missed_appt:7",
    )
    assert follow_up.ids == {"appointment_id": 7, "appointment_kind": "follow_up", "discharge_plan_id": 3}
    assert (camhs.label, camhs.what, event_of(camhs).key) == (
        "appointment 4",
        "CAMHS appointment with Team CAMHS",
        "missed_appt:4",
    )
    assert camhs.ids == {"appointment_id": 4, "appointment_kind": "camhs"}
    assert unowned.what == "Appointment (owning service not known: sent by RBT)"


def test_appointment_owner_teams_maps_a_facility_whatever_its_case() -> None:
    settings = Settings(appointment_owner_teams={"rbt": "CEC-CAMHS"})
    assert settings.owner_team_for("RBT") == "CEC-CAMHS"
    assert settings.owner_team_for("RJN") is None
    assert settings.owner_team_for(None) is None


def _message(name: str, **replace: str) -> python_hl7.Message:
    text = (FIXTURES / "hl7" / name).read_bytes().decode()
    for old, new in replace.items():
        text = text.replace(old, new)
    return python_hl7.parse(text)


def test_an_siu_no_show_names_the_appointment_by_its_filler_id_and_the_start_by_sch_11() -> None:
    message = _message("siu-s26-noshow.hl7")
    event = siu.schedule_event(message, header(message))
    assert (event.action, event.facility, event.nhs_number) == (IntakeAction.noshow, "RBT", "9990000018")
    assert (event.appointment_id, event.system, event.kind) == ("APPT5001", "hl7:RBT", "camhs")
    assert event.at is not None and event.at.astimezone(UTC) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_siu_falls_back_to_the_placer_id_and_the_ais_start() -> None:
    message = _message(
        "siu-s12-camhs-booking.hl7",
        **{
            "|APPT5001^RBTPAS|": "||",
            "^^30^20261120093000^20261120100000": "",
            "20261120093000": "20261121100000",
        },
    )
    event = siu.schedule_event(message, header(message))
    assert event.appointment_id == "PL1001"
    assert event.at is not None and event.at.astimezone(UTC) == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("replace", "code", "words"),
    [
        ({"SIU^S26": "SIU^S19"}, AckCode.reject, "SIU event S19 is not handled"),
        ({"SCH|PL1001^RBTPAS|APPT5001^RBTPAS|": "SCH|||"}, AckCode.error, "SCH-2 (filler appointment ID)"),
        ({"^^30^20261120093000": "^^30^20261320"}, AckCode.error, "is not an HL7 time stamp"),
        ({"9990000018^^^NHS^NH": "9990000017^^^NHS^NH"}, AckCode.error, "PID-3"),
    ],
)
def test_an_siu_message_liaison_cannot_use_says_why(
    replace: dict[str, str], code: AckCode, words: str
) -> None:
    message = _message("siu-s26-noshow.hl7", **replace)
    with pytest.raises(MessageProblem) as problem:
        siu.schedule_event(message, header(message))
    assert problem.value.code == code and words in problem.value.reason


def test_an_siu_message_without_sch_is_an_error() -> None:
    message = _message("bad-siu-no-sch.hl7")
    with pytest.raises(MessageProblem, match="no SCH segment"):
        siu.schedule_event(message, header(message))


APPOINTMENT: dict[str, Any] = json.loads((FIXTURES / "fhir" / "appointment-camhs-noshow.json").read_text())


def test_a_fhir_noshow_is_a_miss_reported_by_its_facility() -> None:
    nhs_number, booking = fhir_appointment.booking_from_appointment(APPOINTMENT)
    assert nhs_number == "9990000018"
    assert booking == IntakeBooking(
        action=IntakeAction.noshow,
        source="fhir",
        external_system="fhir",
        external_id="https://example.nhs.uk/Id/camhs-appointment|RBT-CAMHS-A0042",
        reporter="RBT",
        facility="RBT",
        at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        kind="camhs",
    )


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("booked", IntakeAction.booked),
        ("arrived", IntakeAction.attended),
        ("fulfilled", IntakeAction.attended),
    ],
)
def test_fhir_statuses_map_to_intake_actions(status: str, action: IntakeAction) -> None:
    assert fhir_appointment.booking_from_appointment(APPOINTMENT | {"status": status})[1].action == action


def test_without_a_facility_the_reporter_is_the_identifier_system() -> None:
    body = copy.deepcopy(APPOINTMENT)
    body["participant"] = body["participant"][:1]
    booking = fhir_appointment.booking_from_appointment(body)[1]
    assert (booking.facility, booking.reporter) == (None, "https://example.nhs.uk/Id/camhs-appointment")


@pytest.mark.parametrize(
    ("change", "status_code", "words"),
    [
        ({"resourceType": "Encounter"}, 400, '"resourceType": "Appointment"'),
        ({"status": "nonsense"}, 422, "Appointment.status nonsense is not handled"),
        ({"participant": [{"actor": {"display": "Alex"}, "status": "accepted"}]}, 422, "nhs-number"),
        ({"start": "2026-11-20T09:30:00"}, 400, "not a valid FHIR R4 Appointment"),
        ({"identifier": [], "id": None}, 422, "needs an identifier"),
    ],
)
def test_a_fhir_appointment_liaison_cannot_use_says_why(
    change: dict[str, Any], status_code: int, words: str
) -> None:
    body = {k: v for k, v in (APPOINTMENT | change).items() if v is not None and v != []}
    with pytest.raises(EncounterProblem) as problem:
        fhir_appointment.booking_from_appointment(body)
    assert problem.value.status_code == status_code and words in problem.value.detail
