"""Template versions in the database. A bundled file is stored on first use; an edited file that keeps a
version number already used by an assessment is refused, so a pinned version never changes underneath."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.checklists import Template, bundled_templates
from services.assessments.models import Assessment, AssessmentTemplate
from services.kernel.errors import Conflict, NotFound


class TemplateChanged(Conflict):
    pass


def store(session: Session, *, template: Template) -> AssessmentTemplate:
    """Store this version, or check it against the stored one (update only while no assessment uses it)."""
    content = template.model_dump(mode="json", by_alias=True)
    digest = template.content_hash()
    row = find(session, template_id=template.id, version=template.version)
    if row is None:
        row = AssessmentTemplate(
            template_id=template.id,
            version=template.version,
            title=template.title,
            content=content,
            content_hash=digest,
        )
        session.add(row)
        session.flush()
        return row
    if row.content_hash == digest:
        return row
    used = session.scalar(select(Assessment.id).where(Assessment.template_row_id == row.id).limit(1))
    if used is not None:
        raise TemplateChanged(
            f"template {template.id!r} version {template.version} has changed, but assessments already use "
            "that version: give the edited template a new version number"
        )
    row.title, row.content, row.content_hash = template.title, content, digest
    return row


def sync(session: Session) -> None:
    """Store every bundled template version (called before templates are listed or used)."""
    for template in bundled_templates():
        store(session, template=template)


def find(session: Session, *, template_id: str, version: int) -> AssessmentTemplate | None:
    return session.scalar(
        select(AssessmentTemplate).where(
            AssessmentTemplate.template_id == template_id, AssessmentTemplate.version == version
        )
    )


def get(session: Session, *, template_id: str, version: int | None = None) -> AssessmentTemplate:
    """A stored version, or the newest version of the template."""
    statement = select(AssessmentTemplate).where(AssessmentTemplate.template_id == template_id)
    if version is not None:
        statement = statement.where(AssessmentTemplate.version == version)
    row = session.scalar(statement.order_by(AssessmentTemplate.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"no template {template_id!r}" + (f" version {version}" if version else ""))
    return row


def all_versions(session: Session) -> list[AssessmentTemplate]:
    return list(
        session.scalars(
            select(AssessmentTemplate).order_by(AssessmentTemplate.template_id, AssessmentTemplate.version)
        )
    )


_parsed: dict[str, Template] = {}


def parsed(row: AssessmentTemplate) -> Template:
    """The stored content as a Template, parsed once per content hash."""
    if row.content_hash not in _parsed:
        _parsed[row.content_hash] = Template.model_validate(row.content)
    return _parsed[row.content_hash]
