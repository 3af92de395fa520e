"""Banding, the matrix, the explanation and readiness to complete: pure rules, no I/O."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.checklists import Band, Item, ItemType, Template, bundled_templates
from services.assessments import rules

TEMPLATE = bundled_templates()[0]
H, M, L = Band.high, Band.medium, Band.low


@pytest.mark.parametrize(
    ("risk", "impact", "level"),
    [
        (H, H, H),
        (H, M, H),
        (H, L, M),
        (M, H, H),
        (M, M, M),
        (M, L, L),
        (L, H, M),
        (L, M, L),
        (L, L, L),
    ],
)
def test_matrix_all_nine_cells(risk: Band, impact: Band, level: Band) -> None:
    assert rules.level_for(risk, impact) == level


def _quiet() -> dict[str, Any]:
    """Every required item answered with the lowest-scoring answer."""
    answers: dict[str, Any] = {}
    for item in TEMPLATE.items:
        if item.type == ItemType.choice:
            answers[item.link_id] = min(item.options, key=lambda o: o.score or 0).code
        elif item.type == ItemType.boolean:
            answers[item.link_id] = False
        elif item.type == ItemType.score:
            answers[item.link_id] = 0
    answers["c.young_person_views"] = "I want to stay at my school."
    return answers


def test_section_bands_follow_the_template_thresholds() -> None:
    section = TEMPLATE.section("A")
    assert [rules.band_for(section, s) for s in (0, 3, 4, 7, 8, 40)] == [L, L, M, M, H, H]


def test_nothing_raised_is_low_and_says_so() -> None:
    result = rules.evaluate(TEMPLATE, _quiet())
    assert result.level == L
    assert "no item raised it" in result.explanation
    assert result.label == "Likelihood of Tier 4 admission, placement breakdown or custody"
    assert not result.cetr_prompt


def test_high_result_explains_the_items_that_raised_it() -> None:
    answers = _quiet() | {
        "a.self_harm": "repeated",
        "a.suicidal_thoughts": "recent",
        "a.domestic_abuse": True,
        "b.autism": True,
        "b.engagement": "mostly_missed",
        "b.accommodation": "broken_down",
        "b.la_moves": 3,
    }
    result = rules.evaluate(TEMPLATE, answers)
    assert (result.risk.band, result.impact.band, result.level) == (H, H, H)
    assert result.risk.score == 9
    assert [c.link_id for c in result.risk.contributions] == [
        "a.self_harm",
        "a.suicidal_thoughts",
        "a.domestic_abuse",
    ]
    assert "seen or heard domestic abuse" in result.explanation
    assert "(+3)" in result.explanation
    assert result.cetr_prompt
    assert "not a measure of suicide" in result.note


def test_a_disabled_follow_up_does_not_count_and_is_dropped() -> None:
    answers = _quiet() | {"b.engagement_reasons": "Clashed with college"}
    assert "b.engagement_reasons" not in rules.current_answers(TEMPLATE, answers)
    answers["b.engagement"] = "some_missed"
    assert rules.current_answers(TEMPLATE, answers)["b.engagement_reasons"] == "Clashed with college"


def test_enable_when_any_shows_adjustments_for_any_neurodivergence() -> None:
    item = TEMPLATE.item("b.adjustments")
    assert not rules.is_enabled(TEMPLATE, item, _quiet())
    assert rules.is_enabled(TEMPLATE, item, _quiet() | {"b.learning_disability": True})


def test_completion_needs_required_items_needs_in_register_and_a_formulation() -> None:
    answers = _quiet()
    del answers["a.missing"]
    answers["c.need.family"] = True
    missing = rules.missing_for_completion(TEMPLATE, answers, formulation=" ", registered_link_ids=[])
    assert any("'a.missing' is required" in m for m in missing)
    assert any("'c.need.family' shows an unmet need (family)" in m for m in missing)
    assert any("risk formulation" in m for m in missing)
    answers["a.missing"] = "none"
    assert (
        rules.missing_for_completion(
            TEMPLATE, answers, formulation="Stable at home.", registered_link_ids=["c.need.family"]
        )
        == []
    )


@pytest.mark.parametrize(
    ("link_id", "value", "fault"),
    [
        ("a.self_harm", "sometimes", "answer must be one of none, once, repeated"),
        ("a.domestic_abuse", "yes", "true or false"),
        ("b.la_moves", 4, "whole number from 0 to 3"),
        ("b.la_moves", True, "whole number from 0 to 3"),
        ("c.young_person_views", "   ", "text of 1 to 4000"),
    ],
)
def test_answers_that_do_not_fit_are_refused(link_id: str, value: Any, fault: str) -> None:
    with pytest.raises(rules.AnswerError, match=fault):
        rules.check_answer(TEMPLATE.item(link_id), value)


def _value(item: Item) -> st.SearchStrategy[Any]:
    match item.type:
        case ItemType.choice:
            return st.sampled_from([o.code for o in item.options])
        case ItemType.boolean:
            return st.booleans()
        case ItemType.score:
            return st.integers(0, item.max or 0)
        case ItemType.date:
            return st.dates().map(lambda d: d.isoformat())
        case _:
            return st.text(min_size=1, max_size=50).filter(lambda s: s.strip() != "")


def _answer_sets(template: Template) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={i.link_id: _value(i) for i in template.items})


@settings(max_examples=300, deadline=None)
@given(_answer_sets(TEMPLATE))
def test_every_valid_answer_set_yields_a_level_with_an_explanation(answers: dict[str, Any]) -> None:
    for link_id, value in answers.items():
        assert rules.check_answer(TEMPLATE.item(link_id), value) is not None
    current = rules.current_answers(TEMPLATE, answers)
    result = rules.evaluate(TEMPLATE, current)
    assert result.level in (H, M, L)
    assert result.level == rules.level_for(result.risk.band, result.impact.band)
    assert result.explanation.startswith(TEMPLATE.label)
    for section in (result.risk, result.impact):
        assert section.score == sum(c.points for c in section.contributions)
        for contribution in section.contributions:
            assert contribution.text in result.explanation


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10), st.integers(0, 10))
def test_a_higher_section_score_never_lowers_the_level(extra_a: int, extra_b: int) -> None:
    order = [L, M, H]
    base = rules.level_for(rules.band_for(TEMPLATE.section("A"), 2), rules.band_for(TEMPLATE.section("B"), 2))
    raised = rules.level_for(
        rules.band_for(TEMPLATE.section("A"), 2 + extra_a), rules.band_for(TEMPLATE.section("B"), 2 + extra_b)
    )
    assert order.index(raised) >= order.index(base)
