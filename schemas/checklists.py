"""Checklist templates as versioned data, shaped like a FHIR Questionnaire.

A template has sections (some scored, with band thresholds) and a flat list of items, each with a stable
`linkId`. `Template.model_validate` refuses a bad template with a message naming the item and the fault.
Item lists and thresholds are configuration, in our own words: no official tool's wording is copied.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

LINK_ID = r"^[a-z][a-z0-9_.-]{0,63}$"


class ItemType(StrEnum):
    choice = "choice"
    boolean = "boolean"
    score = "score"
    text = "text"
    date = "date"


class Band(StrEnum):
    low = "LOW"
    medium = "MEDIUM"
    high = "HIGH"


BAND_ORDER = (Band.low, Band.medium, Band.high)


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    display: str = Field(min_length=1, max_length=300)
    score: int | None = Field(default=None, ge=0, le=100)


class EnableWhen(BaseModel):
    """Show the item only when an earlier item's answer meets this condition."""

    model_config = ConfigDict(extra="forbid")

    question: str
    operator: Literal["=", "!=", ">", "<", ">=", "<=", "exists"]
    answer: str | bool | int | None = None


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    link_id: str = Field(alias="linkId", pattern=LINK_ID)
    section: str
    text: str = Field(min_length=1, max_length=500)
    help: str | None = Field(default=None, max_length=1000)
    type: ItemType
    required: bool = False
    options: list[Option] = Field(default_factory=list)
    score: int | None = Field(default=None, ge=0, le=100, description="boolean: points for a yes")
    max: int | None = Field(default=None, ge=1, le=100, description="score: the highest value allowed")
    enable_when: list[EnableWhen] = Field(default_factory=list, alias="enableWhen")
    enable_behavior: Literal["all", "any"] = Field(default="all", alias="enableBehavior")
    need_domain: str | None = Field(default=None, alias="needDomain", max_length=64)
    cetr_when_true: bool = Field(default=False, alias="cetrWhenTrue")


class Threshold(BaseModel):
    """A band covers section scores from `min` to `max` inclusive; the top band has no `max`."""

    model_config = ConfigDict(extra="forbid")

    band: Band
    min: int = Field(ge=0)
    max: int | None = None


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z]$")
    title: str = Field(min_length=1, max_length=200)
    scored: bool = False
    thresholds: list[Threshold] = Field(default_factory=list)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    label: str = Field(min_length=1, max_length=300, description="What the level is a likelihood of")
    risk_section: str = Field(default="A", description="The section banded as complex risk factors")
    impact_section: str = Field(default="B", description="The section banded as impacting factors")
    sections: list[Section] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Template:
        faults = template_faults(self)
        if faults:
            raise ValueError("; ".join(faults))
        return self

    def item(self, link_id: str) -> Item:
        return next(i for i in self.items if i.link_id == link_id)

    def section(self, code: str) -> Section:
        return next(s for s in self.sections if s.code == code)

    def content_hash(self) -> str:
        return content_hash(self.model_dump(mode="json", by_alias=True))


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON form, so whitespace and key order make no difference."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _threshold_faults(section: Section) -> list[str]:
    where = f"section {section.code}"
    if not section.scored:
        return [f"{where}: thresholds given for a section that is not scored"] if section.thresholds else []
    bands = [t.band for t in section.thresholds]
    if sorted(bands, key=BAND_ORDER.index) != list(BAND_ORDER) or len(bands) != 3:
        return [f"{where}: thresholds must give LOW, MEDIUM and HIGH exactly once each"]
    ordered = sorted(section.thresholds, key=lambda t: BAND_ORDER.index(t.band))
    faults: list[str] = []
    if ordered[0].min != 0:
        faults.append(f"{where}: thresholds do not cover scores below {ordered[0].min} (LOW must start at 0)")
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if lower.max is None:
            faults.append(f"{where}: {lower.band} has no max, so it overlaps {upper.band}")
        elif lower.max < lower.min:
            faults.append(f"{where}: {lower.band} has max {lower.max} below its min {lower.min}")
        elif upper.min <= lower.max:
            faults.append(f"{where}: {lower.band} and {upper.band} overlap at {upper.min}..{lower.max}")
        elif upper.min > lower.max + 1:
            faults.append(f"{where}: thresholds leave scores {lower.max + 1}..{upper.min - 1} uncovered")
    if ordered[-1].max is not None:
        faults.append(f"{where}: HIGH must have no max, so every higher score is covered")
    return faults


def _item_faults(item: Item, section: Section | None, earlier: dict[str, Item]) -> list[str]:
    where = f"item {item.link_id!r}"
    faults: list[str] = []
    if section is None:
        faults.append(f"{where}: unknown section {item.section!r}")
    if item.type == ItemType.choice:
        if not item.options:
            faults.append(f"{where}: a choice item needs options")
        codes = [o.code for o in item.options]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            faults.append(f"{where}: option code {code!r} is used more than once")
    elif item.options:
        faults.append(f"{where}: only choice items have options ({item.type} item given options)")
    scored = section is not None and section.scored
    has_scores = any(o.score is not None for o in item.options) or item.score is not None
    if item.type in (ItemType.text, ItemType.date) and has_scores:
        faults.append(f"{where}: a {item.type} item cannot carry a score")
    elif has_scores and not scored:
        faults.append(f"{where}: scores given but section {item.section!r} is not scored")
    if item.score is not None and item.type != ItemType.boolean:
        faults.append(f"{where}: 'score' is for boolean items; give choice items scores on their options")
    if item.type == ItemType.score:
        if item.max is None:
            faults.append(f"{where}: a score item needs 'max'")
        if not scored:
            faults.append(f"{where}: a score item must be in a scored section")
    elif item.max is not None:
        faults.append(f"{where}: 'max' is only for score items")
    if item.cetr_when_true and item.type != ItemType.boolean:
        faults.append(f"{where}: cetrWhenTrue is only for boolean items")
    for condition in item.enable_when:
        faults.extend(_condition_faults(item, condition, earlier))
    return faults


def _condition_faults(item: Item, condition: EnableWhen, earlier: dict[str, Item]) -> list[str]:
    where = f"item {item.link_id!r}"
    if condition.question == item.link_id:
        return [f"{where}: enableWhen refers to the item itself"]
    target = earlier.get(condition.question)
    if target is None:
        return [f"{where}: enableWhen refers to {condition.question!r}, which is unknown or comes later"]
    if condition.operator == "exists":
        return [] if isinstance(condition.answer, bool) else [f"{where}: 'exists' needs answer true or false"]
    if condition.answer is None:
        return [f"{where}: enableWhen on {condition.question!r} needs an answer to compare with"]
    match target.type:
        case ItemType.choice:
            if condition.operator not in ("=", "!="):
                return [f"{where}: choice answers are compared with = or != only"]
            if condition.answer not in {o.code for o in target.options}:
                return [
                    f"{where}: enableWhen answer {condition.answer!r} is not an option of {target.link_id!r}"
                ]
        case ItemType.boolean:
            if not isinstance(condition.answer, bool) or condition.operator not in ("=", "!="):
                return [f"{where}: enableWhen on boolean {target.link_id!r} needs = or != with true or false"]
        case ItemType.score:
            if isinstance(condition.answer, bool) or not isinstance(condition.answer, int):
                return [f"{where}: enableWhen on score {target.link_id!r} needs a whole number"]
        case _:
            return [f"{where}: enableWhen on a {target.type} item may only use 'exists'"]
    return []


def template_faults(template: Template) -> list[str]:
    """Every fault in a template, each naming the item or section and what is wrong."""
    faults: list[str] = []
    codes = [s.code for s in template.sections]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        faults.append(f"section {code}: declared more than once")
    sections = {s.code: s for s in template.sections}
    for section in template.sections:
        faults.extend(_threshold_faults(section))
    for role, code in (("risk_section", template.risk_section), ("impact_section", template.impact_section)):
        if code not in sections:
            faults.append(f"{role}: unknown section {code!r}")
        elif not sections[code].scored:
            faults.append(f"{role}: section {code} must be scored")
    earlier: dict[str, Item] = {}
    for item in template.items:
        if item.link_id in earlier:
            faults.append(f"item {item.link_id!r}: linkId is used more than once")
            continue
        faults.extend(_item_faults(item, sections.get(item.section), earlier))
        earlier[item.link_id] = item
    return faults


def bundled_templates() -> list[Template]:
    """Every template shipped in schemas/templates/*.json, validated."""
    folder = resources.files("schemas") / "templates"
    found: list[Template] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            try:
                found.append(Template.model_validate_json(entry.read_text(encoding="utf-8")))
            except ValueError as exc:
                raise ValueError(f"template file {entry.name} is not valid: {exc}") from exc
    return found
