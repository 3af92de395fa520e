"""What is past retention (a read: never writes): each young person's record by ref, and the categories
held without one (unlinked intake rows, sign-in tokens, the audit trail), with counts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from schemas.settings_retention import RetentionSettings
from services.intake.models import InboundMessage
from services.kernel.audit.models import AuditEvent
from services.people.models import YoungPerson
from services.retention import holdings, rules
from services.staff.models import ApiToken

RECORD = "young_person_record"
UNLINKED_INTAKE = "unlinked_intake"
TOKENS = "expired_tokens"
AUDIT = "audit_trail"


def schedule_of(settings: RetentionSettings) -> rules.Schedule:
    return rules.Schedule(
        until_age=settings.retention_record_until_age,
        until_age_if_17_at_end=settings.retention_record_until_age_if_17_at_end,
        years_after_last_contact=settings.retention_years_after_last_contact,
        years_after_death=settings.retention_years_after_death,
        unlinked_intake_days=settings.retention_unlinked_intake_days,
        token_days_after_end=settings.retention_token_days_after_end,
        audit_years=settings.retention_audit_years,
    )


@dataclass(frozen=True)
class DueRecord:
    """One young person's record past retention (or held past it)."""

    young_person_id: int
    ref: str
    basis: rules.Basis
    on_hold: bool
    rows: dict[str, int]  # per table


@dataclass
class Report:
    as_of: datetime
    records: list[DueRecord] = field(default_factory=list)
    unlinked_intake_ids: list[int] = field(default_factory=list)
    token_ids: list[int] = field(default_factory=list)
    audit_past: int = 0

    def to_json(self) -> dict[str, Any]:
        erasable = [r for r in self.records if not r.on_hold]
        return {
            "as_of": self.as_of.isoformat(),
            "records": [
                {
                    "ref": r.ref,
                    "category": RECORD,
                    "basis": str(r.basis),
                    "on_hold": r.on_hold,
                    "rows": r.rows,
                }
                for r in self.records
            ],
            "counts": {
                RECORD: len(erasable),
                "held": len(self.records) - len(erasable),
                UNLINKED_INTAKE: len(self.unlinked_intake_ids),
                TOKENS: len(self.token_ids),
                AUDIT: self.audit_past,
            },
            "audit_trail": "never erased by liaison (append-only, hash-chained): archived under the IG "
            "procedure",
        }


def _record(
    session: Session,
    young_person: YoungPerson,
    schedule: rules.Schedule,
    *,
    now: datetime,
    held: frozenset[str],
) -> DueRecord | None:
    found = holdings.walk(session, young_person_id=young_person.id)
    rows = holdings.rows(session, found)
    facts = rules.RecordFacts(
        ref=young_person.ref,
        date_of_birth=young_person.date_of_birth,
        date_of_death=young_person.date_of_death,
        last_contact=rules.last_contact(holdings.moments(rows), fallback=young_person.created_at.date()),
        on_hold=young_person.ref in held,
    )
    verdict = rules.verdict(facts, schedule, today=now.date())
    if not rules.verdict(replace(facts, on_hold=False), schedule, today=now.date()).past:
        return None  # a record on hold is listed once past retention, as held, and never erased
    return DueRecord(young_person.id, young_person.ref, verdict.basis, verdict.on_hold, found.counts())


def report(session: Session, *, settings: RetentionSettings, now: datetime) -> Report:
    """What is past retention on `now` (an injected clock: `--as-of` plans ahead; erasure uses the
    present)."""
    schedule = schedule_of(settings)
    held = settings.held_refs()
    out = Report(as_of=now)
    for young_person in session.scalars(select(YoungPerson).order_by(YoungPerson.id)):
        due = _record(session, young_person, schedule, now=now, held=held)
        if due is not None:
            out.records.append(due)
    intake_cutoff = rules.cutoff(now, days=schedule.unlinked_intake_days)
    out.unlinked_intake_ids = list(
        session.scalars(
            select(InboundMessage.id).where(
                InboundMessage.attendance_id.is_(None),
                InboundMessage.appointment_id.is_(None),
                InboundMessage.received_at < intake_cutoff,
            )
        )
    )
    token_cutoff = rules.cutoff(now, days=schedule.token_days_after_end)
    out.token_ids = list(
        session.scalars(
            select(ApiToken.id).where(
                or_(ApiToken.revoked_at < token_cutoff, ApiToken.expires_at < token_cutoff)
            )
        )
    )
    out.audit_past = (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.at < rules.audit_cutoff(now, years=schedule.audit_years))
        )
        or 0
    )
    return out
