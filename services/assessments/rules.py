"""Scoring a needs assessment: answer checks, enableWhen, section bands, the matrix, the explanation and
readiness to complete. Pure functions over a template and plain answers: no I/O, tested without a database.

The level is the likelihood of Tier 4 admission, placement breakdown or custody. It is never a measure of
suicide risk and never decides treatment or discharge (NICE NG225): it is always paired with a risk
formulation written by the assessor.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from schemas.checklists import Band, EnableWhen, Item, ItemType, Section, Template

Answers = Mapping[str, Any]

MATRIX: dict[tuple[Band, Band], Band] = {
    (Band.high, Band.high): Band.high,
    (Band.high, Band.medium): Band.high,
    (Band.high, Band.low): Band.medium,
    (Band.medium, Band.high): Band.high,
    (Band.medium, Band.medium): Band.medium,
    (Band.medium, Band.low): Band.low,
    (Band.low, Band.high): Band.medium,
    (Band.low, Band.medium): Band.low,
    (Band.low, Band.low): Band.low,
}

NG225_NOTE = (
    "This level shows the likelihood of Tier 4 admission, placement breakdown or custody, to direct "
    "support. It is not a measure of suicide or self-harm risk and does not decide treatment or discharge: "
    "read it with the risk formulation."
)


class AnswerError(ValueError):
    """An answer that does not fit its item."""


def check_answer(item: Item, value: Any) -> Any:
    """The answer in its stored form, or AnswerError saying what is wrong."""
    where = f"item {item.link_id!r}"
    match item.type:
        case ItemType.choice:
            codes = [o.code for o in item.options]
            if value not in codes:
                raise AnswerError(f"{where}: answer must be one of {', '.join(codes)}")
            return value
        case ItemType.boolean:
            if not isinstance(value, bool):
                raise AnswerError(f"{where}: answer must be true or false")
            return value
        case ItemType.score:
            top = item.max or 0
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise AnswerError(f"{where}: answer must be a whole number from 0 to {top}")
            return value
        case ItemType.text:
            if not isinstance(value, str) or not value.strip() or len(value) > 4000:
                raise AnswerError(f"{where}: answer must be text of 1 to 4000 characters")
            return value.strip()
        case ItemType.date:
            try:
                return date.fromisoformat(value).isoformat()
            except (TypeError, ValueError):
                raise AnswerError(f"{where}: answer must be a date, YYYY-MM-DD") from None


def _meets(condition: EnableWhen, answers: Answers) -> bool:
    present = condition.question in answers
    if condition.operator == "exists":
        return present == condition.answer
    if not present:
        return False
    actual = answers[condition.question]
    wanted = condition.answer
    match condition.operator:
        case "=":
            return bool(actual == wanted)
        case "!=":
            return bool(actual != wanted)
    if not isinstance(actual, int) or not isinstance(wanted, int):
        return False
    match condition.operator:
        case ">":
            return actual > wanted
        case "<":
            return actual < wanted
        case ">=":
            return actual >= wanted
        case _:
            return actual <= wanted


def is_enabled(template: Template, item: Item, answers: Answers) -> bool:
    """Whether the item applies, given the answers so far (an item behind a disabled item is disabled)."""
    if not item.enable_when:
        return True
    visible = {k: v for k, v in answers.items() if k != item.link_id}
    results = [
        _meets(c, visible) and is_enabled(template, template.item(c.question), answers)
        for c in item.enable_when
    ]
    return any(results) if item.enable_behavior == "any" else all(results)


def points(item: Item, value: Any) -> int:
    """What one answer adds to its section's score."""
    match item.type:
        case ItemType.choice:
            option = next((o for o in item.options if o.code == value), None)
            return option.score or 0 if option else 0
        case ItemType.boolean:
            return (item.score or 0) if value is True else 0
        case ItemType.score:
            return value if isinstance(value, int) and not isinstance(value, bool) else 0
        case _:
            return 0


def band_for(section: Section, score: int) -> Band:
    for threshold in section.thresholds:
        if score >= threshold.min and (threshold.max is None or score <= threshold.max):
            return threshold.band
    raise ValueError(
        f"section {section.code}: no band covers score {score}"
    )  # template validation stops this


def level_for(risk: Band, impact: Band) -> Band:
    """The published matrix: Section A's band against Section B's."""
    return MATRIX[(risk, impact)]


@dataclass(frozen=True)
class Contribution:
    link_id: str
    text: str
    points: int


@dataclass(frozen=True)
class SectionResult:
    code: str
    title: str
    score: int
    band: Band
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class Result:
    level: Band
    label: str
    risk: SectionResult
    impact: SectionResult
    explanation: str
    cetr_prompt: bool
    note: str = NG225_NOTE


def _section_result(template: Template, code: str, answers: Answers) -> SectionResult:
    section = template.section(code)
    contributions = tuple(
        Contribution(item.link_id, item.text, points(item, answers[item.link_id]))
        for item in template.items
        if item.section == code
        and item.link_id in answers
        and is_enabled(template, item, answers)
        and points(item, answers[item.link_id]) > 0
    )
    score = sum(c.points for c in contributions)
    return SectionResult(code, section.title, score, band_for(section, score), contributions)


def _describe(result: SectionResult) -> str:
    if not result.contributions:
        return f"Section {result.code} ({result.title}) is {result.band} with score 0: no item raised it."
    raised = "; ".join(f"{c.text} (+{c.points})" for c in result.contributions)
    heading = f"Section {result.code} ({result.title}) is {result.band} with score {result.score}"
    return f"{heading}, raised by: {raised}."


def evaluate(template: Template, answers: Answers) -> Result:
    """Band both sections, read the matrix and explain which items raised the level."""
    risk = _section_result(template, template.risk_section, answers)
    impact = _section_result(template, template.impact_section, answers)
    level = level_for(risk.band, impact.band)
    explanation = (
        f"{template.label}: {level}. Section {risk.code} {risk.band} with section {impact.code} "
        f"{impact.band} gives {level}. {_describe(risk)} {_describe(impact)}"
    )
    cetr = any(
        item.cetr_when_true and answers.get(item.link_id) is True and is_enabled(template, item, answers)
        for item in template.items
    )
    return Result(level, template.label, risk, impact, explanation, cetr)


def identified_needs(template: Template, answers: Answers) -> list[Item]:
    """Section C items answered yes that name a need domain: each must be in the register."""
    return [
        item
        for item in template.items
        if item.need_domain and answers.get(item.link_id) is True and is_enabled(template, item, answers)
    ]


def missing_for_completion(
    template: Template, answers: Answers, *, formulation: str | None, registered_link_ids: Collection[str]
) -> list[str]:
    """Why the assessment cannot be completed yet (empty when it can)."""
    missing = [
        f"item {item.link_id!r} is required: {item.text}"
        for item in template.items
        if item.required and item.link_id not in answers and is_enabled(template, item, answers)
    ]
    missing.extend(
        f"item {item.link_id!r} shows an unmet need ({item.need_domain}) not yet in the unmet-needs register"
        for item in identified_needs(template, answers)
        if item.link_id not in registered_link_ids
    )
    if not formulation or not formulation.strip():
        missing.append("a free-text risk formulation is required to complete an assessment")
    return missing


def open_items(template: Template, answers: Answers) -> list[str]:
    """The items still to answer, in template order: those that apply now and have no answer."""
    return [
        item.link_id
        for item in template.items
        if item.link_id not in answers and is_enabled(template, item, answers)
    ]


def current_answers(template: Template, answers: Answers) -> dict[str, Any]:
    """Only the answers to items that apply now (a changed answer can switch follow-up items off)."""
    known = {i.link_id for i in template.items}
    kept = {k: v for k, v in answers.items() if k in known}
    return {k: v for k, v in kept.items() if is_enabled(template, template.item(k), kept)}
