"""What the bot says about plans and appointments, from the API's answers as their `schemas.api` models:
nothing identifying or clinical in minimal mode, within Telegram's 4096 characters, and button data within
Telegram's 64 bytes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import outcomes, plan_text
from bot.plan_text import Target
from schemas.api.appointments import AppointmentRead
from schemas.api.people import YoungPersonRead
from schemas.api.plans import DischargePlanRead, PlansOverview

REF = "YP-7KQ2M-9XW4T"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RECORD = YoungPersonRead.model_validate(
    {
        "ref": REF,
        "nhs_number": "9990000018",
        "given_name": "Alex",
        "family_name": "Testperson",
        "date_of_birth": "2005-03-14",
        "responsible_la": "CEC",
        "residence_la": None,
        "statuses": [],
        "care_team": [],
        "created_at": "2026-11-01T09:00:00Z",
        "updated_at": "2026-11-01T09:00:00Z",
        "address": "1 Synthetic Street",  # not in the model: an answer carrying it is read without it
    }
)
PRIVATE = (
    "Alex",
    "Testperson",
    "9990000018",
    "999 000 0018",
    "2005-03-14",
    "Synthetic Street",
    "Nurse Nancy",
    "Jo Smith",
    "Private crisis words",
    "Private formulation",
    "12 Elm Rd",
    "Private purpose",
    "Texting my cousin",
)


def summary(plan_id: int, status: str, issued_at: str | None = None) -> dict[str, Any]:
    return {
        "id": plan_id,
        "status": status,
        "attendance_id": None,
        "created_at": "2026-10-30T09:00:00+00:00",
        "issued_at": issued_at,
        "review_date": None,
    }


def overview(**extra: Any) -> PlansOverview:
    return PlansOverview.model_validate(OVERVIEW | extra)


OVERVIEW = {
    "young_person_ref": REF,
    "care_plan": None,
    "safety_plan": {
        "version": 2,
        "review_date": "2027-01-10",
        "review_overdue": False,
        "recorded_at": "2026-11-20T10:00:00+00:00",
    },
    "discharge_plans": [summary(3, "draft"), summary(1, "superseded")],
    "warnings": ["safety plan without care plan"],
    # What the bot is never given, but if an answer carried it, it must not show.
    "warning_signs": ["Texting my cousin"],
}


def person(username: str, display: str, role: str, team: str) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": display,
        "care_team_role": role,
        "team": team,
        "agency": "social_care",
        "reachable_by": ["email"],
    }


def follow_up(n: int, status: str = "scheduled", at: datetime | None = None) -> dict[str, Any]:
    return {
        "id": n,
        "at": (at or NOW + timedelta(days=n)).isoformat(),
        "owner_team": "CEC-CAMHS",
        "owner": None,
        "location": "12 Elm Rd",
        "purpose": "Private purpose",
        "status": status,
        "note": None,
        "recorded_by": None,
        "recorded_at": None,
        "within_first_contact_target": n == 1,
        "missed": None,
    }


def discharge(**extra: Any) -> DischargePlanRead:
    base: dict[str, Any] = {
        "id": 3,
        "young_person_ref": REF,
        "status": "draft",
        "attendance_id": None,
        "agency_contacts": [],
        "discharge_at": None,
        "first_contact_hours": 72,
        "out_of_hours_contacts": [{"name": "Jo Smith", "phone": "0131 000 0000"}],
        "safety_alerts": {"risk_to_self": "Private crisis words"},
        "reasonable_adjustments": [],
        "young_person_views": "Private crisis words",
        "family_views": None,
        "agreed_with_young_person": True,
        "legal": {},
        "care_plan_version": None,
        "safety_plan_version": 2,
        "reviewed_by": None,
        "reviewed_at": None,
        "review_outcome": None,
        "superseded_by_id": None,
        "created_at": "2026-11-27T09:00:00+00:00",
        "created_by": "nurse",
        "issued_at": None,
        "issued_by": None,
        "care_coordinator": person("nurse", "Nurse Nancy", "care_coordinator", "RBT-LIA"),
        "lead_social_worker": person("jsmith", "Jo Smith", "lead_social_worker", "CEC-CSC"),
        "follow_ups": [follow_up(2), follow_up(1, "was_not_brought")],
        "first_contact_due_by": "2026-11-30T09:00:00+00:00",
        "crisis_plan": "Private crisis words",
        "risk_formulation": "Private formulation",
        "review_date": "2027-02-01",
        "cnest": None,
        "readiness": {
            "ready": False,
            "missing": ["a care plan (NICE NG225: a safety plan is not a care plan)", "a review date"],
            "warnings": ["no risk formulation"],
            "first_contact_due_by": "2026-11-30T09:00:00+00:00",
        },
        "distribution": None,
    }
    return DischargePlanRead.model_validate(base | extra)


def appointment(n: int, at: str, team: str | None) -> AppointmentRead:
    return AppointmentRead.model_validate(
        {
            "id": n,
            "young_person_ref": REF,
            "at": at,
            "kind": "camhs",
            "owner_team": team,
            "owner": None,
            "location": "12 Elm Rd",
            "purpose": "Private purpose",
            "status": "scheduled",
            "note": None,
            "source": "api",
            "facility": None,
            "external_system": None,
            "external_id": None,
            "created_by": "nurse",
            "created_at": "2026-11-01T09:00:00Z",
            "recorded_by": None,
            "recorded_at": None,
        }
    )


def leaks(text: str) -> list[str]:
    return [p for p in PRIVATE if p.lower() in text.lower()]


def test_plan_in_minimal_mode_names_the_ref_people_by_username_and_nothing_private() -> None:
    text = plan_text.plan_text(
        ref=REF, overview=overview(), discharge=discharge(), detail="minimal", record=RECORD
    )
    assert text.splitlines()[0] == f"Plans for {REF}"
    assert "Care plan: none" in text
    assert "Safety plan: version 2, recorded 20 Nov 2026, review by 10 Jan 2027" in text
    assert f"read it in liaison (/young-people/{REF}/safety-plan)" in text
    assert "Discharge plan 3: draft, drafted 27 Nov 2026 09:00 UTC by nurse" in text
    assert "Not ready to issue. Still missing:\n- a care plan (NICE NG225" in text
    assert "\n- a review date" in text
    assert "Care coordinator: nurse (care coordinator, RBT-LIA)" in text
    assert "Lead social worker: jsmith (lead social worker, CEC-CSC)" in text
    assert "Review date: 01 Feb 2027" in text
    follow_ups = text.split("Follow-ups (2):\n", 1)[1].splitlines()[:2]
    assert follow_ups == [
        "- 29 Nov 2026 12:00 UTC, CEC-CAMHS: was not brought (within the first-contact target)",
        "- 30 Nov 2026 12:00 UTC, CEC-CAMHS: scheduled",
    ]
    assert "1 older discharge plan(s) in liaison." in text
    assert "In force" not in text
    assert leaks(text) == []


def test_a_new_draft_says_which_issued_plan_is_in_force_meanwhile() -> None:
    plans = [summary(3, "draft"), summary(1, "issued", "2026-11-01T08:00:00+00:00")]
    text = plan_text.plan_text(
        ref=REF, overview=overview(discharge_plans=plans), discharge=discharge(), detail="minimal"
    )
    assert "In force meanwhile: discharge plan 1, issued, issued 01 Nov 2026 08:00 UTC" in text


def test_the_outcome_prompt_says_when_an_appointment_is_still_to_come() -> None:
    past = Target("a", 5, NOW - timedelta(hours=1), "CEC-CAMHS", "scheduled")
    coming = Target("a", 6, NOW + timedelta(hours=1), "CEC-CAMHS", "scheduled")
    assert "still to come" not in plan_text.outcome_prompt(REF, past, now=NOW)
    assert "still to come" in plan_text.outcome_prompt(REF, coming, now=NOW)


def test_named_mode_adds_only_the_name() -> None:
    text = plan_text.plan_text(
        ref=REF, overview=overview(), discharge=discharge(), detail="named", record=RECORD
    )
    assert "Name: Alex Testperson" in text
    assert leaks(text.replace("Alex Testperson", "")) == []


def test_an_issued_plan_shows_its_reach_and_the_level_only_with_its_label() -> None:
    cnest = {
        "assessment_id": 9,
        "level": "HIGH",
        "label": "Likelihood of Tier 4 admission, placement breakdown or custody",
        "note": "...",
    }
    plan = discharge(
        status="issued",
        issued_at="2026-11-28T10:00:00+00:00",
        issued_by="nurse",
        readiness=None,
        distribution={
            "due_by": "2026-11-29T10:00:00+00:00",
            "reached": 1,
            "named": 3,
            "all_reached_within_24h": None,
            "recipients": [],
        },
        lead_social_worker=None,
        cnest=cnest,
    )
    text = plan_text.plan_text(ref=REF, overview=overview(), discharge=plan, detail="minimal")
    assert "Discharge plan 3: issued, issued 28 Nov 2026 10:00 UTC by nurse" in text
    assert "Reached 1 of 3 named (due by 29 Nov 2026 10:00 UTC)" in text
    assert "Lead social worker: not named" in text
    assert "Not ready" not in text
    assert "Likelihood of Tier 4 admission, placement breakdown or custody: HIGH" in text
    assert "suicide" not in text.lower()


def test_no_discharge_plan_and_no_safety_plan() -> None:
    empty = overview(safety_plan=None, discharge_plans=[], warnings=[])
    text = plan_text.plan_text(ref=REF, overview=empty, discharge=None, detail="minimal")
    assert "Safety plan: none" in text and "Discharge plan: none yet" in text
    assert "not shown in chat" not in text


def test_a_long_plan_stays_within_one_telegram_message_with_a_pointer() -> None:
    many = [follow_up(n) for n in range(1, 200)]
    text = plan_text.plan_text(
        ref=REF, overview=overview(), discharge=discharge(follow_ups=many), detail="minimal"
    )
    assert len(text) <= plan_text.MESSAGE_LIMIT
    assert f"- and {199 - plan_text.FOLLOW_UPS_SHOWN} more in liaison" in text
    readiness = {
        "ready": False,
        "missing": ["x" * 300] * 40,
        "warnings": [],
        "first_contact_due_by": "2026-11-30T09:00:00+00:00",
    }
    huge = discharge(readiness=readiness)
    text = plan_text.plan_text(ref=REF, overview=overview(), discharge=huge, detail="minimal")
    assert len(text) <= plan_text.MESSAGE_LIMIT
    assert text.endswith(f"The rest is in liaison: /young-people/{REF}/plans")


TEXTS = st.one_of(
    st.text(alphabet="ab\n", max_size=600),
    st.integers(min_value=0, max_value=600).map(lambda n: "a" * n),  # one long line: a hard cut
)


@given(TEXTS, st.integers(min_value=20, max_value=300))
def test_fit_never_exceeds_the_limit_and_keeps_the_whole_pointer(text: str, limit: int) -> None:
    fitted = plan_text.fit(text, "see liaison", limit)
    assert len(fitted) <= limit
    assert fitted == text or (fitted.endswith("\n…\nsee liaison") and len(text) > limit)


def test_a_refusal_reads_as_plain_lines() -> None:
    detail = (
        "cannot record did_not_attend for appointment 3: missing the reason (why the appointment was missed, "
        "as far as is known); missing the adolescent-capacity check (`capacity`: framework gillick or fraser "
        "under 16, mca from 16; competent; informed_choice; assessed_on; note): without one the miss is "
        "recorded as was_not_brought"
    )
    text = plan_text.readable(detail)
    lines = text.splitlines()
    assert lines[0] == "cannot record did not attend for appointment 3:"
    assert lines[1].startswith("- missing the reason")
    assert "`" not in text and "was not brought" in text
    assert plan_text.readable("no such thing") == "no such thing"


def test_targets_are_recent_or_upcoming_soonest_first_and_skip_superseded_plans() -> None:
    appointments = [
        appointment(5, (NOW - timedelta(days=2)).isoformat(), None),
        appointment(6, (NOW - timedelta(days=40)).isoformat(), "X"),
        appointment(7, (NOW + timedelta(days=40)).isoformat(), "X"),
    ]
    plans = [
        discharge(id=3, status="draft", follow_ups=[follow_up(1)]),
        discharge(id=2, status="superseded", follow_ups=[follow_up(4)]),
    ]
    found = plan_text.targets(appointments, plans, now=NOW)
    assert [(t.kind, t.id, t.plan_id) for t in found] == [("a", 5, None), ("f", 1, 3)]
    assert found[0].label == "26 Nov 12:00 appt team not known: scheduled"
    naive = appointment(8, "2026-11-28T13:00:00", "X")
    [later] = plan_text.targets([naive], [], now=NOW)  # no offset: read as UTC
    assert later.title == "28 Nov 13:00 appt X"
    assert found[1].data == "apt:f:3:1"
    assert leaks(" ".join(t.label for t in found)) == []
    assert "No appointments" in plan_text.targets_text(REF, [])


IDS = st.integers(min_value=1, max_value=2**63 - 1)


@given(kind=st.sampled_from(["a", "f"]), target_id=IDS, plan_id=IDS)
def test_target_button_data_fits_telegrams_64_bytes_and_the_handlers_pattern(
    kind: str, target_id: int, plan_id: int
) -> None:
    target = Target(kind, target_id, NOW, "CEC-CAMHS", "scheduled", plan_id if kind == "f" else None)
    assert len(target.data.encode()) <= 64
    assert re.match(outcomes.TARGET_PATTERN, target.data)
    assert len(target.label) <= 64


def test_outcome_and_barrier_buttons_fit_and_match_their_patterns() -> None:
    keyboards = [outcomes.outcome_keyboard(), outcomes.barrier_keyboard(["transport"])]
    data = [b.callback_data for k in keyboards for row in k.inline_keyboard for b in row]
    assert len(data) == 4 + len(plan_text.BARRIERS) + 1
    for value in data:
        assert isinstance(value, str) and len(value.encode()) <= 64
        assert re.match(outcomes.OUTCOME_PATTERN, value) or re.match(outcomes.BARRIER_PATTERN, value)


@given(st.lists(st.sampled_from(list(plan_text.BARRIERS)), max_size=20))
def test_unknown_always_stands_alone(presses: list[str]) -> None:
    chosen: list[str] = []
    for barrier in presses:
        chosen = plan_text.toggle(chosen, barrier)
        assert len(set(chosen)) == len(chosen)
        assert "unknown" not in chosen or chosen == ["unknown"]


@pytest.mark.parametrize(
    ("status", "told", "expected"),
    [
        ("was_not_brought", ["jsmith", "nurse"], "Told of this miss: jsmith, nurse (by ref only)."),
        ("attended", [], None),
    ],
)
def test_recorded_text(status: str, told: list[str], expected: str | None) -> None:
    target = Target("a", 5, NOW, "CEC-CAMHS", "scheduled")
    text = plan_text.recorded_text(REF, target, status, told)
    assert (
        text.splitlines()[0]
        == f"Recorded for {REF}: 28 Nov 12:00 appt CEC-CAMHS, {status.replace('_', ' ')}."
    )
    assert (expected in text) if expected else ("Told" not in text)


def test_the_ten_nearest_to_now_are_offered_in_time_order() -> None:
    found = [Target("a", n, NOW + timedelta(days=n), "CEC-CAMHS", "scheduled") for n in range(-29, 30)]
    shown = plan_text.nearest(found, now=NOW)
    assert [t.id for t in shown] == [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4]
    assert "The 10 nearest to now are shown" in plan_text.targets_text(REF, found)


def test_a_care_plan_withheld_from_the_readers_agency_says_whom_to_ask() -> None:
    summary = {
        "version": 2,
        "review_date": "2027-01-15",
        "review_overdue": False,
        "recorded_at": "2026-11-01T09:00:00Z",
        "content_withheld": True,
        "ask": [{"username": "nurse", "display_name": "Nurse", "team": "RBT-LIA"}],
    }
    shown = PlansOverview.model_validate(
        {
            "young_person_ref": REF,
            "care_plan": summary,
            "safety_plan": None,
            "discharge_plans": [],
            "warnings": [],
        }
    )
    text = plan_text.plan_text(ref=REF, overview=shown, discharge=None, detail="minimal")
    assert "Care plan: version 2" in text and "Not shared with your agency" in text
    assert "ask nurse (RBT-LIA)" in text and "Nurse" not in text  # usernames only, as everywhere in chat
