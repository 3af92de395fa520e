"""The assessment lifecycle: draft, in progress (one answer at a time), completed, amended (a new version).
Keyword-only functions, session first; every change is audited, milestones enter the chronology."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.checklists import Band, Template
from schemas.enums import AssessmentStatus, NeedStatus, Via
from schemas.settings import Settings
from services.assessments import gateway, rules, templates
from services.assessments.models import Assessment, AssessmentAnswer, UnmetNeed
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.clock import utcnow
from services.kernel.errors import Conflict, Invalid, NotFound
from services.kernel.identity import Principal
from services.people.models import YoungPerson

OPEN = (AssessmentStatus.draft, AssessmentStatus.in_progress)


def get(session: Session, *, assessment_id: int) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(f"no assessment {assessment_id}")
    return assessment


def list_for(session: Session, *, young_person_id: int) -> list[Assessment]:
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.young_person_id == young_person_id)
            .order_by(Assessment.started_at.desc(), Assessment.id.desc())
        )
    )


def template_of(assessment: Assessment) -> Template:
    return templates.parsed(assessment.template)


def current_answers(assessment: Assessment) -> dict[str, Any]:
    """The latest save of each item that still applies (a null save clears an answer)."""
    latest: dict[str, Any] = {}
    for row in sorted(assessment.answers, key=lambda a: a.id):
        if row.value is None:
            latest.pop(row.link_id, None)
        else:
            latest[row.link_id] = row.value
    return rules.current_answers(template_of(assessment), latest)


def open_items(assessment: Assessment) -> list[str]:
    """The items still to answer, in template order (empty once the assessment is no longer open)."""
    if assessment.status not in OPEN:
        return []
    return rules.open_items(template_of(assessment), current_answers(assessment))


def registered_link_ids(session: Session, *, young_person_id: int) -> set[str]:
    return set(
        session.scalars(
            select(UnmetNeed.link_id).where(
                UnmetNeed.young_person_id == young_person_id, UnmetNeed.status != NeedStatus.cancelled
            )
        )
    )


def missing(session: Session, *, assessment: Assessment, formulation: str | None) -> list[str]:
    return rules.missing_for_completion(
        template_of(assessment),
        current_answers(assessment),
        formulation=formulation,
        registered_link_ids=registered_link_ids(session, young_person_id=assessment.young_person_id),
    )


def start(
    session: Session, *, young_person: YoungPerson, template_id: str, actor: Principal, via: Via
) -> Assessment:
    """A draft on the newest version of the template, which it pins for good."""
    templates.sync(session)
    row = templates.get(session, template_id=template_id)
    assessment = Assessment(
        young_person_id=young_person.id,
        template_row_id=row.id,
        started_by_id=actor.user_id,
        status=AssessmentStatus.draft,
    )
    session.add(assessment)
    session.flush()
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=assessment.started_at,
        kind="assessment_started",
        summary=f"Needs assessment started by {actor.username} ({row.title}, version {row.version})",
        detail={"assessment_id": assessment.id, "template_id": row.template_id, "version": row.version},
    )
    audit.record(
        session,
        actor=actor,
        action="assessment.started",
        via=via,
        ref=young_person.ref,
        detail={"assessment_id": assessment.id},
    )
    return assessment


def answer(
    session: Session, *, assessment: Assessment, link_id: str, value: Any, actor: Principal, via: Via
) -> AssessmentAnswer:
    """Save one answer (null clears it). Only drafts and assessments in progress take answers."""
    if assessment.status not in OPEN:
        raise Conflict(f"assessment {assessment.id} is {assessment.status}: amend it to change answers")
    template = template_of(assessment)
    if link_id not in {i.link_id for i in template.items}:
        raise NotFound(f"template {template.id} version {template.version} has no item {link_id!r}")
    item = template.item(link_id)
    if value is not None:
        try:
            value = rules.check_answer(item, value)
        except rules.AnswerError as exc:
            raise Invalid(str(exc)) from None
        if not rules.is_enabled(template, item, current_answers(assessment)):
            raise Invalid(f"item {link_id!r} does not apply given the answers so far")
    now = utcnow()
    row = AssessmentAnswer(
        link_id=link_id, value=value, answered_by_id=actor.user_id, answered_at=now, via=via
    )
    assessment.answers.append(row)
    assessment.status = AssessmentStatus.in_progress
    assessment.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="assessment.answered",
        via=via,
        ref=assessment.young_person.ref,
        detail={"assessment_id": assessment.id, "link_id": link_id},
    )
    return row


def complete(
    session: Session,
    *,
    assessment: Assessment,
    formulation: str,
    actor: Principal,
    via: Via,
    settings: Settings,
) -> None:
    """Score and complete; a HIGH level makes a Gateway referral."""
    if assessment.status not in OPEN:
        raise Conflict(f"assessment {assessment.id} is already {assessment.status}")
    faults = missing(session, assessment=assessment, formulation=formulation)
    if faults:
        raise Invalid("the assessment cannot be completed yet: " + "; ".join(faults))
    template = template_of(assessment)
    result = rules.evaluate(template, current_answers(assessment))
    now = utcnow()
    assessment.status = AssessmentStatus.completed
    assessment.formulation = formulation.strip()
    assessment.completed_at = now
    assessment.completed_by_id = actor.user_id
    assessment.updated_at = now
    assessment.level = str(result.level)
    assessment.explanation = result.explanation
    assessment.result = result_content(result)
    young_person = assessment.young_person
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=now,
        kind="assessment_completed",
        summary=(
            f"Needs assessment completed by {actor.username}: {result.label.lower()} {result.level} "
            f"(section {result.risk.code} {result.risk.band}, "
            f"section {result.impact.code} {result.impact.band})"
        ),
        detail={"assessment_id": assessment.id, "level": str(result.level), "version": assessment.version},
    )
    audit.record(
        session,
        actor=actor,
        action="assessment.completed",
        via=via,
        ref=young_person.ref,
        detail={"assessment_id": assessment.id, "level": str(result.level)},
    )
    if result.level == Band.high:
        gateway.refer_to_gateway(
            session,
            assessment=assessment,
            cetr_prompt=result.cetr_prompt,
            actor=actor,
            via=via,
            settings=settings,
        )


def amend(session: Session, *, assessment: Assessment, actor: Principal, via: Via) -> Assessment:
    """A new version in progress, carrying every answer with who gave it and when; the old one stays."""
    if assessment.status != AssessmentStatus.completed:
        raise Conflict(f"only a completed assessment can be amended; this one is {assessment.status}")
    newer = Assessment(
        young_person_id=assessment.young_person_id,
        template_row_id=assessment.template_row_id,
        version=assessment.version + 1,
        previous_id=assessment.id,
        started_by_id=actor.user_id,
        status=AssessmentStatus.in_progress,
        formulation=assessment.formulation,
    )
    latest = {a.link_id: a for a in sorted(assessment.answers, key=lambda a: a.id)}
    for link_id in current_answers(assessment):
        old = latest[link_id]
        newer.answers.append(
            AssessmentAnswer(
                link_id=link_id,
                value=old.value,
                answered_by_id=old.answered_by_id,
                answered_at=old.answered_at,
                via=old.via,
            )
        )
    assessment.status = AssessmentStatus.amended
    session.add(newer)
    session.flush()
    chronology.add(
        session,
        young_person_id=assessment.young_person_id,
        at=newer.started_at,
        kind="assessment_amended",
        summary=f"Needs assessment amended by {actor.username}: version {newer.version} started",
        detail={"assessment_id": newer.id, "previous_id": assessment.id},
    )
    audit.record(
        session,
        actor=actor,
        action="assessment.amended",
        via=via,
        ref=assessment.young_person.ref,
        detail={"assessment_id": newer.id, "previous_id": assessment.id},
    )
    return newer


def result_content(result: rules.Result) -> dict[str, Any]:
    def section(s: rules.SectionResult) -> dict[str, Any]:
        return {
            "code": s.code,
            "title": s.title,
            "score": s.score,
            "band": str(s.band),
            "raised_by": [
                {"link_id": c.link_id, "text": c.text, "points": c.points} for c in s.contributions
            ],
        }

    return {
        "level": str(result.level),
        "label": result.label,
        "explanation": result.explanation,
        "note": result.note,
        "cetr_prompt": result.cetr_prompt,
        "sections": [section(result.risk), section(result.impact)],
    }


def recommendations(level: str, settings: Settings) -> list[str]:
    """HIGH carries every recommendation (medium and low first confirmed done); MEDIUM carries LOW's too."""
    texts = {
        Band.high: [
            settings.recommendations_high,
            settings.recommendations_medium,
            settings.recommendations_low,
        ],
        Band.medium: [settings.recommendations_medium, settings.recommendations_low],
        Band.low: [settings.recommendations_low],
    }
    return texts[Band(level)]
