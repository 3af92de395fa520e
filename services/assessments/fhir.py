"""FHIR R4 export: a template version as a Questionnaire, an assessment as a QuestionnaireResponse.

Pure functions over a parsed template and an assessment: no I/O. Each resource is checked by building the
`fhir.resources` R4B model before it is returned, so an invalid export fails loudly here and never reaches a
caller. The young person is named by their opaque `ref` only: never the NHS number, name or date of birth.

The level travels in an extension whose URL and `label` say what it is: the likelihood of Tier 4
admission, placement breakdown or custody. It is never a measure of suicide risk (NICE NG225).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from schemas.checklists import EnableWhen, Item, ItemType, Option, Template
from schemas.enums import AssessmentStatus
from services.assessments.models import Assessment
from services.assessments.rules import NG225_NOTE
from services.kernel.fhir import ASSESSMENT_SYSTEM, BASE, YOUNG_PERSON_SYSTEM

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
POINTS_FOR_YES = f"{BASE}/StructureDefinition/points-for-yes"
NEED_DOMAIN = f"{BASE}/StructureDefinition/need-domain"
CETR_WHEN_TRUE = f"{BASE}/StructureDefinition/cetr-when-true"
LEVEL = f"{BASE}/StructureDefinition/likelihood-of-tier4-admission-placement-breakdown-or-custody"
FORMULATION = f"{BASE}/StructureDefinition/risk-formulation"

FHIR_TYPE = {
    ItemType.choice: "choice",
    ItemType.boolean: "boolean",
    ItemType.score: "integer",
    ItemType.text: "text",
    ItemType.date: "date",
}
FHIR_STATUS = {
    AssessmentStatus.draft: "in-progress",
    AssessmentStatus.in_progress: "in-progress",
    AssessmentStatus.completed: "completed",
    AssessmentStatus.amended: "amended",
}


def canonical_url(template: Template) -> str:
    return f"{BASE}/Questionnaire/{template.id}"


def _name(template: Template) -> str:
    """A computable name (FHIR: starts with a capital, letters, digits and underscores)."""
    return "".join(part.capitalize() for part in template.id.split("-")) + f"_v{template.version}"


def _help(item: Item) -> dict[str, Any]:
    return {
        "linkId": f"{item.link_id}.help",
        "type": "display",
        "text": item.help,
        "extension": [
            {
                "url": ITEM_CONTROL,
                "valueCodeableConcept": {
                    "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help-Button"}]
                },
            }
        ],
    }


def _option(option: Option) -> dict[str, Any]:
    """An answer option; its score is the standard ordinalValue extension."""
    found: dict[str, Any] = {"valueCoding": {"code": option.code, "display": option.display}}
    if option.score is not None:
        found["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.score}]
    return found


def _enable_when(condition: EnableWhen, target: Item) -> dict[str, Any]:
    found: dict[str, Any] = {"question": condition.question, "operator": condition.operator}
    if condition.operator == "exists" or target.type == ItemType.boolean:
        found["answerBoolean"] = condition.answer
    elif target.type == ItemType.choice:
        display = next(o.display for o in target.options if o.code == condition.answer)
        found["answerCoding"] = {"code": condition.answer, "display": display}
    else:
        found["answerInteger"] = condition.answer
    return found


def _question(template: Template, item: Item) -> dict[str, Any]:
    found: dict[str, Any] = {
        "linkId": item.link_id,
        "text": item.text,
        "type": FHIR_TYPE[item.type],
        "required": item.required,
    }
    extensions: list[dict[str, Any]] = []
    if item.type == ItemType.score:
        extensions += [{"url": MIN_VALUE, "valueInteger": 0}, {"url": MAX_VALUE, "valueInteger": item.max}]
    if item.score is not None:
        extensions.append({"url": POINTS_FOR_YES, "valueInteger": item.score})
    if item.need_domain:
        extensions.append({"url": NEED_DOMAIN, "valueString": item.need_domain})
    if item.cetr_when_true:
        extensions.append({"url": CETR_WHEN_TRUE, "valueBoolean": True})
    if extensions:
        found["extension"] = extensions
    if item.options:
        found["answerOption"] = [_option(o) for o in item.options]
    if item.enable_when:
        found["enableWhen"] = [_enable_when(c, template.item(c.question)) for c in item.enable_when]
        found["enableBehavior"] = item.enable_behavior
    if item.help:
        found["item"] = [_help(item)]
    return found


def questionnaire(template: Template) -> dict[str, Any]:
    """The template version as an R4 Questionnaire: one group per section holding its questions."""
    link_ids = [i.link_id for i in template.items]
    help_ids = {f"{i.link_id}.help" for i in template.items if i.help}
    clashes = sorted(help_ids & ({s.code for s in template.sections} | set(link_ids)))
    if clashes:
        raise ValueError(f"help items would reuse linkIds {', '.join(clashes)}")
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"{template.id}-{template.version}",
        "url": canonical_url(template),
        "version": str(template.version),
        "name": _name(template),
        "title": template.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"{template.label}. {NG225_NOTE}",
        "item": [
            {
                "linkId": section.code,
                "text": section.title,
                "type": "group",
                "item": [_question(template, i) for i in template.items if i.section == section.code],
            }
            for section in template.sections
        ],
    }
    Questionnaire.model_validate(resource)
    return resource


def _answer(item: Item, value: Any) -> dict[str, Any]:
    match item.type:
        case ItemType.choice:
            display = next(o.display for o in item.options if o.code == value)
            return {"valueCoding": {"code": value, "display": display}}
        case ItemType.boolean:
            return {"valueBoolean": value}
        case ItemType.score:
            return {"valueInteger": value}
        case ItemType.text:
            return {"valueString": value}
        case ItemType.date:
            return {"valueDate": value}


def _instant(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _level(result: Mapping[str, Any]) -> dict[str, Any]:
    parts = [
        {"url": "level", "valueCode": result["level"]},
        {"url": "label", "valueString": result["label"]},
        {"url": "note", "valueString": result.get("note") or NG225_NOTE},
        {"url": "explanation", "valueString": result["explanation"]},
    ]
    parts += [
        {"url": "section", "valueString": f"{s['code']} {s['title']}: {s['band']} (score {s['score']})"}
        for s in result.get("sections", [])
    ]
    return {"url": LEVEL, "extension": parts}


def questionnaire_response(
    assessment: Assessment, answers: Mapping[str, Any], *, template: Template
) -> dict[str, Any]:
    """The assessment as an R4 QuestionnaireResponse on its pinned template version.

    `answers` are the current answers (items switched off by enableWhen already left out). The subject is
    the young person's opaque ref; the author is the assessor's username.
    """
    author = assessment.completed_by or assessment.started_by
    changed = [assessment.updated_at, assessment.started_at, assessment.completed_at]
    changed += [row.answered_at for row in assessment.answers]
    groups = []
    for section in template.sections:
        answered = [
            {"linkId": i.link_id, "text": i.text, "answer": [_answer(i, answers[i.link_id])]}
            for i in template.items
            if i.section == section.code and answers.get(i.link_id) is not None
        ]
        if answered:
            groups.append({"linkId": section.code, "text": section.title, "item": answered})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"assessment-{assessment.id}",
        "identifier": {"system": ASSESSMENT_SYSTEM, "value": str(assessment.id)},
        "questionnaire": f"{canonical_url(template)}|{template.version}",
        "status": FHIR_STATUS[AssessmentStatus(assessment.status)],
        "subject": {
            "type": "Patient",
            "identifier": {"system": YOUNG_PERSON_SYSTEM, "value": assessment.young_person.ref},
        },
        "authored": _instant(max(m for m in changed if m is not None)),
        "author": {"display": author.username},
    }
    if groups:
        resource["item"] = groups
    extensions = []
    if assessment.result is not None:
        extensions.append(_level(assessment.result))
    if assessment.formulation:
        extensions.append({"url": FORMULATION, "valueString": assessment.formulation})
    if extensions:
        resource["extension"] = extensions
    QuestionnaireResponse.model_validate(resource)
    return resource


def response_answers(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in a QuestionnaireResponse, keyed by linkId, in the form the service stores them."""
    found: dict[str, Any] = {}
    for group in resource.get("item", []):
        for question in group.get("item", []):
            [answer] = question["answer"]
            [(key, value)] = [(k, v) for k, v in answer.items() if k.startswith("value")]
            found[question["linkId"]] = value["code"] if key == "valueCoding" else value
    return found
