"""What the bot says, from the API's answers as their `schemas.api` models: the ref and statuses only in
minimal mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot import formatting
from schemas.api.assessments import AssessmentRead
from schemas.api.notifications import NotificationRead, PendingAlerts
from schemas.api.people import YoungPersonRead
from schemas.checklists import Item

REF = "YP-7KQ2M-9XW4T"
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
    }
)
RESULT = {
    "level": "HIGH",
    "label": "Likelihood of Tier 4 admission, placement breakdown or custody",
    "explanation": "Section A raised by: Has the young person hurt themselves on purpose (+4).",
    "note": "Private note",
    "sections": [
        {"code": "A", "title": "Complex risk factors", "score": 9, "band": "HIGH", "raised_by": []},
        {"code": "B", "title": "Impacting factors", "score": 5, "band": "MEDIUM", "raised_by": []},
    ],
    "cetr_prompt": True,
    "recommendations": [],
}


def notification(
    recipient: str, acknowledged: bool = False, created: str = "2026-11-28T09:25:00Z", number: int = 1
) -> NotificationRead:
    return NotificationRead.model_validate(
        {
            "id": number,
            "kind": "attendance",
            "attendance_id": 1,
            "young_person_ref": REF,
            "recipient": recipient,
            "recipient_role": "lead_social_worker",
            "status": "acknowledged" if acknowledged else "delivered",
            "deliveries": [],
            "created_at": created,
            "delivered_at": None,
            "acknowledged_at": "2026-11-28T09:30:00+00:00" if acknowledged else None,
            "acknowledged_by": recipient if acknowledged else None,
            "acknowledged_via": "bot" if acknowledged else None,
        }
    )


def assessment(**extra: Any) -> AssessmentRead:
    base = {
        "id": 4,
        "young_person_ref": REF,
        "template_id": "cnest-style",
        "template_version": 1,
        "version": 1,
        "previous_id": None,
        "level": "HIGH",
        "started_by": "jsmith",
        "status": "completed",
        "started_at": "2026-11-20T10:00:00+00:00",
        "completed_at": "2026-11-21T10:00:00+00:00",
        "completed_by": "jsmith",
        "result": RESULT,
        "formulation": "Private clinical words",
        "answers": {"a.text": "Private answer words"},
        "history": [],
        "missing": [],
        "open_items": [],
        "escalations": [],
    }
    return AssessmentRead.model_validate({**base, **extra})


def item(**fields: Any) -> Item:
    return Item.model_validate({"linkId": "a.one", "section": "A", "text": "When?", **fields})


def test_when_reads_utc_and_offsets() -> None:
    assert formatting.when(datetime(2026, 11, 28, 9, 25, tzinfo=UTC)) == "28 Nov 2026 09:25 UTC"
    plus_one = timezone(timedelta(hours=1))
    assert formatting.when(datetime(2026, 11, 28, 10, 25, tzinfo=plus_one)) == "28 Nov 2026 09:25 UTC"
    assert formatting.when(datetime(2026, 11, 28, 9, 25)) == "28 Nov 2026 09:25 UTC"  # no offset: UTC
    assert formatting.when(None) == "-"


def test_pending_lists_the_page_in_the_apis_order_and_counts_the_rest() -> None:
    found = [
        notification("jsmith", created="2026-11-28T09:00:00Z"),
        notification("jsmith", created="2026-11-28T11:00:00Z"),
    ]
    text = formatting.pending_text(PendingAlerts(total=2, notifications=found))
    assert text.startswith("Not yet acknowledged (2):")
    assert text.index("09:00") < text.index("11:00")
    assert f"Attendance alert: {REF}, 28 Nov 2026 09:00 UTC" in text
    assert "more in liaison" not in text
    more = formatting.pending_text(PendingAlerts(total=25, notifications=found))
    assert more.startswith("Not yet acknowledged (25):") and "- and 23 more in liaison" in more
    assert "Nothing waiting" in formatting.pending_text(PendingAlerts(total=0, notifications=[]))


@pytest.mark.parametrize("detail", ["minimal", "named"])
def test_case_never_shows_the_nhs_number_birth_date_or_formulation(detail: formatting.ChatDetail) -> None:
    text = formatting.case_text(
        ref=REF,
        notifications=[
            notification("jsmith", number=1),
            notification("other", number=2),
            notification("x", acknowledged=True, number=3),
        ],
        username="jsmith",
        assessment=assessment(),
        detail=detail,
        record=RECORD,
    )
    assert REF in text
    assert "Open alerts: 2 (1 for you)" in text
    assert "Likelihood of Tier 4 admission, placement breakdown or custody: HIGH" in text
    assert "Section A (Complex risk factors): HIGH, score 9" in text
    for forbidden in (
        "9990000018",
        "2005-03-14",
        "Private clinical words",
        "Private answer words",
        "Private note",
        "hurt themselves",
        "suicide risk",
    ):
        assert forbidden not in text
    assert ("Alex" in text) is (detail == "named")
    assert ("Testperson" in text) is (detail == "named")


def test_case_without_an_assessment_says_how_to_start_one() -> None:
    text = formatting.case_text(ref=REF, notifications=[], username="u", assessment=None, detail="minimal")
    assert "Open alerts: 0 (0 for you)" in text
    assert f"/assess {REF}" in text


def test_an_open_assessment_counts_the_questions_left() -> None:
    text = formatting.case_text(
        ref=REF,
        notifications=[],
        username="u",
        assessment=assessment(status="in_progress", result=None, completed_at=None, open_items=["a", "b"]),
        detail="minimal",
    )
    assert "in progress" in text and "2 questions left" in text


def test_acknowledged_text_names_the_ref_only() -> None:
    text = formatting.acknowledged_text(notification("jsmith", acknowledged=True))
    assert text == f"Attendance alert: {REF}\nAcknowledged 28 Nov 2026 09:30 UTC."


def test_choices_for_each_item_type() -> None:
    choice = item(
        type="choice", options=[{"code": "none", "display": "No"}, {"code": "once", "display": "Once"}]
    )
    assert formatting.choices(choice) == [("No", "none"), ("Once", "once")]
    assert formatting.choices(item(type="boolean")) == [("Yes", True), ("No", False)]
    assert formatting.choices(item(type="score", max=2)) == [("0", 0), ("1", 1), ("2", 2)]
    assert formatting.choices(item(type="text")) == []


def test_question_text_says_how_to_answer() -> None:
    text = formatting.question_text(item(type="date", required=False), left=3)
    assert "YYYY-MM-DD" in text and "(optional)" in text and "3 left" in text


def test_completed_text_gives_level_label_headings_and_the_ng225_note() -> None:
    text = formatting.completed_text(REF, assessment())
    assert "Likelihood of Tier 4 admission, placement breakdown or custody: HIGH" in text
    assert "Section B (Impacting factors): MEDIUM, score 5" in text
    assert "Care, Education and Treatment Review" in text
    assert "does not measure suicide" in text
