"""FHIR R4 export: the default template as a Questionnaire and a completed assessment as a
QuestionnaireResponse, both validated with the fhir.resources R4B models. Pure, no database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from schemas.checklists import ItemType, Template, bundled_templates
from schemas.enums import AssessmentStatus
from services.assessments import fhir, rules
from services.assessments.models import Assessment, AssessmentAnswer, AssessmentTemplate
from services.assessments.service import result_content
from services.people.models import YoungPerson
from services.staff.models import User

TEMPLATE = bundled_templates()[0]
STARTED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
FORMULATION = "Escalating self-harm after placement move; protective: sister, school."
NHS_NUMBER, GIVEN, FAMILY, BORN = "9990000018", "Alex", "Testperson", date(2005, 3, 14)


def _walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        found.append(item)
        found += _walk(item.get("item", []))
        for answer in item.get("answer", []):
            found += _walk(answer.get("item", []))
    return found


def _answers() -> dict[str, Any]:
    """Every item answered, with each FHIR answer type used, switching b.adjustments on."""
    answers: dict[str, Any] = {}
    for item in TEMPLATE.items:
        if item.type == ItemType.choice:
            answers[item.link_id] = item.options[-1].code
        elif item.type == ItemType.boolean:
            answers[item.link_id] = True
        elif item.type == ItemType.score:
            answers[item.link_id] = item.max
        elif item.type == ItemType.text:
            answers[item.link_id] = f"In their own words: {item.link_id}"
        else:
            answers[item.link_id] = "2026-10-01"
    return rules.current_answers(TEMPLATE, answers)


def _assessment(answers: dict[str, Any], status: AssessmentStatus) -> Assessment:
    young_person = YoungPerson(
        id=7,
        ref="YP-7K2Q9",
        nhs_number=NHS_NUMBER,
        given_name=GIVEN,
        family_name=FAMILY,
        date_of_birth=BORN,
        responsible_la="CEC",
    )
    nurse = User(id=3, username="nurse", display_name="Nina Nurse", role="liaison")
    row = AssessmentTemplate(
        id=1, template_id=TEMPLATE.id, version=TEMPLATE.version, title=TEMPLATE.title, content={}
    )
    assessment = Assessment(
        id=42,
        young_person=young_person,
        template=row,
        version=1,
        status=status,
        started_by=nurse,
        started_at=STARTED,
        updated_at=STARTED + timedelta(minutes=20),
    )
    assessment.answers = [
        AssessmentAnswer(link_id=k, value=v, answered_by=nurse, answered_at=STARTED, via="api")
        for k, v in answers.items()
    ]
    if status in (AssessmentStatus.completed, AssessmentStatus.amended):
        result = rules.evaluate(TEMPLATE, answers)
        assessment.result = result_content(result)
        assessment.level = str(result.level)
        assessment.formulation = FORMULATION
        assessment.completed_by = nurse
        assessment.completed_at = STARTED + timedelta(minutes=45)
    return assessment


def test_the_default_template_is_a_valid_r4b_questionnaire_with_every_link_id() -> None:
    resource = fhir.questionnaire(TEMPLATE)
    parsed = Questionnaire.model_validate(resource)
    assert parsed.url == "https://liaison.example/fhir/Questionnaire/cnest-style"
    assert (parsed.version, parsed.status, parsed.title) == ("1", "active", TEMPLATE.title)
    assert [g["linkId"] for g in resource["item"]] == [s.code for s in TEMPLATE.sections]
    assert all(g["type"] == "group" for g in resource["item"])
    link_ids = [i["linkId"] for i in _walk(resource["item"])]
    assert len(link_ids) == len(set(link_ids))
    questions = {i["linkId"]: i for i in _walk(resource["item"]) if i["type"] not in ("group", "display")}
    assert list(questions) == [i.link_id for i in TEMPLATE.items]
    for item in TEMPLATE.items:
        question = questions[item.link_id]
        assert question["type"] == fhir.FHIR_TYPE[item.type]
        assert (question["text"], question["required"]) == (item.text, item.required)
        section = next(g for g in resource["item"] if g["linkId"] == item.section)
        assert question in section["item"]


def test_help_is_a_nested_display_item_with_the_help_item_control() -> None:
    questions = {i["linkId"]: i for i in _walk(fhir.questionnaire(TEMPLATE)["item"])}
    with_help = [i for i in TEMPLATE.items if i.help]
    assert with_help
    for item in with_help:
        [shown] = questions[item.link_id]["item"]
        assert (shown["linkId"], shown["type"], shown["text"]) == (
            f"{item.link_id}.help",
            "display",
            item.help,
        )
        [control] = shown["extension"]
        assert control["url"] == fhir.ITEM_CONTROL
        assert control["valueCodeableConcept"]["coding"][0]["code"] == "help"


def test_options_carry_their_scores_as_ordinal_values_and_score_items_their_range() -> None:
    questions = {i["linkId"]: i for i in _walk(fhir.questionnaire(TEMPLATE)["item"])}
    self_harm = questions["a.self_harm"]["answerOption"]
    assert [(o["valueCoding"]["code"], o["extension"][0]["valueDecimal"]) for o in self_harm] == [
        (o.code, o.score) for o in TEMPLATE.item("a.self_harm").options
    ]
    assert all(o["extension"][0]["url"] == fhir.ORDINAL_VALUE for o in self_harm)
    la_moves = questions["b.la_moves"]
    assert la_moves["type"] == "integer"
    assert {"url": fhir.MAX_VALUE, "valueInteger": 3} in la_moves["extension"]
    assert {"url": fhir.POINTS_FOR_YES, "valueInteger": 2} in questions["a.domestic_abuse"]["extension"]


def test_enable_when_and_enable_behavior_are_preserved() -> None:
    questions = {i["linkId"]: i for i in _walk(fhir.questionnaire(TEMPLATE)["item"])}
    conditional = [i for i in TEMPLATE.items if i.enable_when]
    assert conditional
    for item in conditional:
        question = questions[item.link_id]
        assert question["enableBehavior"] == item.enable_behavior
        assert [(c["question"], c["operator"]) for c in question["enableWhen"]] == [
            (c.question, c.operator) for c in item.enable_when
        ]
    assert questions["b.adjustments"]["enableWhen"][0]["answerBoolean"] is True
    assert questions["b.engagement_reasons"]["enableWhen"][0]["answerCoding"]["code"] == "engaged"


def test_a_score_condition_and_an_exists_condition_export_validly() -> None:
    content = TEMPLATE.model_dump(mode="json", by_alias=True)
    content["items"] += [
        {
            "linkId": "b.moves_note",
            "section": "B",
            "text": "What made the moves happen?",
            "type": "text",
            "enableWhen": [{"question": "b.la_moves", "operator": ">=", "answer": 2}],
        },
        {
            "linkId": "b.moves_date",
            "section": "B",
            "text": "When was the last move?",
            "type": "date",
            "enableWhen": [{"question": "b.moves_note", "operator": "exists", "answer": True}],
        },
    ]
    questions = {i["linkId"]: i for i in _walk(fhir.questionnaire(Template.model_validate(content))["item"])}
    assert questions["b.moves_note"]["enableWhen"] == [
        {"question": "b.la_moves", "operator": ">=", "answerInteger": 2}
    ]
    assert questions["b.moves_date"]["enableWhen"][0]["answerBoolean"] is True
    assert questions["b.moves_date"]["type"] == "date"


def test_a_completed_assessment_is_a_valid_response_whose_answers_round_trip() -> None:
    answers = _answers()
    assert "b.adjustments" in answers and "b.engagement_reasons" in answers
    resource = fhir.questionnaire_response(
        _assessment(answers, AssessmentStatus.completed), answers, template=TEMPLATE
    )
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.questionnaire == "https://liaison.example/fhir/Questionnaire/cnest-style|1"
    assert parsed.status == "completed"
    assert parsed.author.display == "nurse"
    assert parsed.authored == STARTED + timedelta(minutes=45)
    assert (parsed.subject.identifier.system, parsed.subject.identifier.value) == (
        fhir.YOUNG_PERSON_SYSTEM,
        "YP-7K2Q9",
    )
    assert fhir.response_answers(resource) == answers
    reparsed = QuestionnaireResponse.model_validate_json(parsed.model_dump_json())
    assert fhir.response_answers(json.loads(reparsed.model_dump_json())) == answers

    questions = {i["linkId"]: i for i in fhir.questionnaire(TEMPLATE)["item"]}
    for group in resource["item"]:
        assert group["linkId"] in questions
        template_ids = [q["linkId"] for q in questions[group["linkId"]]["item"]]
        assert [q["linkId"] for q in group["item"]] == [i for i in template_ids if i in answers]
    types = {k for q in _walk(resource["item"]) for a in q.get("answer", []) for k in a}
    assert types == {"valueCoding", "valueBoolean", "valueInteger", "valueString"}


def test_the_level_is_labelled_as_tier_4_placement_or_custody_likelihood_with_the_formulation() -> None:
    answers = _answers()
    resource = fhir.questionnaire_response(
        _assessment(answers, AssessmentStatus.completed), answers, template=TEMPLATE
    )
    extensions = {e["url"]: e for e in resource["extension"]}
    level = {
        part["url"]: next(v for k, v in part.items() if k.startswith("value"))
        for part in extensions[fhir.LEVEL]["extension"]
        if part["url"] != "section"
    }
    assert level["level"] == "HIGH"
    assert level["label"] == "Likelihood of Tier 4 admission, placement breakdown or custody"
    assert "not a measure of suicide or self-harm risk" in level["note"]
    assert "suicide" not in fhir.LEVEL and "tier4" in fhir.LEVEL
    assert extensions[fhir.FORMULATION]["valueString"] == FORMULATION


def test_no_nhs_number_name_or_date_of_birth_in_the_response() -> None:
    answers = _answers()
    resource = fhir.questionnaire_response(
        _assessment(answers, AssessmentStatus.completed), answers, template=TEMPLATE
    )
    whole = json.dumps(resource).lower()
    for identifier in (NHS_NUMBER, GIVEN.lower(), FAMILY.lower(), BORN.isoformat(), "nina"):
        assert identifier not in whole, identifier


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (AssessmentStatus.draft, "in-progress"),
        (AssessmentStatus.in_progress, "in-progress"),
        (AssessmentStatus.completed, "completed"),
        (AssessmentStatus.amended, "amended"),
    ],
)
def test_statuses_map_to_fhir_questionnaire_response_statuses(
    status: AssessmentStatus, expected: str
) -> None:
    answers = {"a.self_harm": "once"} if status != AssessmentStatus.draft else {}
    if status in (AssessmentStatus.completed, AssessmentStatus.amended):
        answers = _answers()
    resource = fhir.questionnaire_response(_assessment(answers, status), answers, template=TEMPLATE)
    assert resource["status"] == expected
    assert expected in ("in-progress", "completed", "amended", "entered-in-error", "stopped")
    QuestionnaireResponse.model_validate(resource)
    if status in (AssessmentStatus.draft, AssessmentStatus.in_progress):
        assert "extension" not in resource
        assert resource["authored"] == (STARTED + timedelta(minutes=20)).isoformat()
    if status == AssessmentStatus.draft:
        assert "item" not in resource
