"""Checklist templates: the bundled one loads; bad templates are refused with messages naming the fault."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.checklists import Template, bundled_templates


def _minimal() -> dict[str, Any]:
    return {
        "id": "mini",
        "version": 1,
        "title": "Mini",
        "label": "Likelihood of Tier 4 admission, placement breakdown or custody",
        "sections": [
            {
                "code": "A",
                "title": "Risk",
                "scored": True,
                "thresholds": [
                    {"band": "LOW", "min": 0, "max": 1},
                    {"band": "MEDIUM", "min": 2, "max": 3},
                    {"band": "HIGH", "min": 4},
                ],
            },
            {
                "code": "B",
                "title": "Impact",
                "scored": True,
                "thresholds": [
                    {"band": "LOW", "min": 0, "max": 0},
                    {"band": "MEDIUM", "min": 1, "max": 1},
                    {"band": "HIGH", "min": 2},
                ],
            },
            {"code": "C", "title": "Needs"},
        ],
        "items": [
            {
                "linkId": "a.one",
                "section": "A",
                "text": "One",
                "type": "choice",
                "options": [
                    {"code": "no", "display": "No", "score": 0},
                    {"code": "yes", "display": "Yes", "score": 4},
                ],
            },
            {"linkId": "b.one", "section": "B", "text": "Two", "type": "boolean", "score": 2},
            {
                "linkId": "c.why",
                "section": "C",
                "text": "Why",
                "type": "text",
                "enableWhen": [{"question": "a.one", "operator": "=", "answer": "yes"}],
            },
        ],
    }


def _refused(content: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Template.model_validate(content)
    return str(caught.value)


def test_the_bundled_template_loads_and_covers_what_the_review_asks_for() -> None:
    [template] = bundled_templates()
    assert (template.id, template.version) == ("cnest-style", 1)
    assert [s.code for s in template.sections] == ["A", "B", "C"]
    text = " ".join(i.text.lower() for i in template.items)
    for topic in (
        "ending their life",
        "hurt themselves",
        "alcohol or drugs",
        "mental-health",
        "domestic abuse",
        "physically abused",
        "sexually abused",
        "autism",
        "learning disability",
        "reasonable adjustments",
        "appointments",
        "care and support needs of their own",
        "exploitation",
        "missing",
        "education",
        "placement",
        "between local authorities",
        "safeguarding",
        "own views",
    ):
        assert topic in text, topic
    assert "tier 4" in template.label.lower()
    assert "suicide" not in template.label.lower()


def test_the_minimal_template_is_valid() -> None:
    assert Template.model_validate(_minimal()).items[2].link_id == "c.why"


def test_duplicate_link_id_is_named() -> None:
    content = _minimal()
    content["items"].append(copy.deepcopy(content["items"][1]))
    assert "item 'b.one': linkId is used more than once" in _refused(content)


def test_enable_when_on_a_later_item_is_refused() -> None:
    content = _minimal()
    content["items"][0]["enableWhen"] = [{"question": "b.one", "operator": "=", "answer": True}]
    assert "item 'a.one': enableWhen refers to 'b.one', which is unknown or comes later" in _refused(content)


def test_enable_when_on_an_unknown_item_is_refused() -> None:
    content = _minimal()
    content["items"][2]["enableWhen"][0]["question"] = "a.nothing"
    assert "item 'c.why': enableWhen refers to 'a.nothing'" in _refused(content)


def test_enable_when_with_an_answer_that_is_not_an_option_is_refused() -> None:
    content = _minimal()
    content["items"][2]["enableWhen"][0]["answer"] = "maybe"
    assert "item 'c.why': enableWhen answer 'maybe' is not an option of 'a.one'" in _refused(content)


def test_choice_item_without_options_is_refused() -> None:
    content = _minimal()
    content["items"][0]["options"] = []
    assert "item 'a.one': a choice item needs options" in _refused(content)


def test_score_on_a_text_item_is_refused() -> None:
    content = _minimal()
    content["items"][2]["score"] = 1
    assert "item 'c.why': a text item cannot carry a score" in _refused(content)


def test_score_in_an_unscored_section_is_refused() -> None:
    content = _minimal()
    content["items"][1]["section"] = "C"
    assert "item 'b.one': scores given but section 'C' is not scored" in _refused(content)


def test_unknown_section_is_refused() -> None:
    content = _minimal()
    content["items"][1]["section"] = "Z"
    assert "item 'b.one': unknown section 'Z'" in _refused(content)


def test_thresholds_with_a_gap_are_refused() -> None:
    content = _minimal()
    content["sections"][0]["thresholds"][1]["min"] = 3
    assert "section A: thresholds leave scores 2..2 uncovered" in _refused(content)


def test_overlapping_thresholds_are_refused() -> None:
    content = _minimal()
    content["sections"][0]["thresholds"][1]["max"] = 5
    assert "section A: MEDIUM and HIGH overlap at 4..5" in _refused(content)


def test_thresholds_not_starting_at_zero_are_refused() -> None:
    content = _minimal()
    content["sections"][1]["thresholds"][0]["min"] = 1
    assert "section B: thresholds do not cover scores below 1" in _refused(content)


def test_a_band_missing_is_refused() -> None:
    content = _minimal()
    del content["sections"][1]["thresholds"][1]
    assert "section B: thresholds must give LOW, MEDIUM and HIGH exactly once each" in _refused(content)


def test_score_item_without_max_is_refused() -> None:
    content = _minimal()
    content["items"].append({"linkId": "a.count", "section": "A", "text": "Count", "type": "score"})
    assert "item 'a.count': a score item needs 'max'" in _refused(content)


def test_every_fault_is_reported_at_once() -> None:
    content = _minimal()
    content["items"][0]["options"] = []
    content["items"][1]["section"] = "Z"
    message = _refused(content)
    assert "item 'a.one'" in message and "item 'b.one'" in message
