"""A subject access export: everything liaison holds about one young person (a read: it never writes; the
caller audits it). Made from the same schema walk as erasure (`holdings.walk`): every row of every table
that leads to them, every column, and every audit event about their ref. JSON for the record, HTML for a
person to read. It is raw material for the IG officer's disclosure: staff names, other people's details in
free text and the exemptions are theirs to review before anything leaves (docs/retention.md)."""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.kernel.audit.models import AuditEvent
from services.kernel.audit.sealing import event_row
from services.people.models import YoungPerson
from services.retention import holdings

# What each table is, for the person reading the export (a table not named here is shown by its name).
TITLES = {
    "young_people": "The record",
    "care_team_members": "Care team",
    "attendances": "Attendances (emergency department, urgent treatment, admissions)",
    "assessments": "Needs assessments",
    "assessment_answers": "Needs assessment answers",
    "escalations": "Escalations (Gateway, Resolution)",
    "unmet_needs": "Unmet needs",
    "thrive_records": "THRIVE groupings",
    "care_plans": "Care plans (every version)",
    "care_plan_reviews": "Care plan reviews",
    "safety_plans": "Safety plans (every version)",
    "discharge_plans": "Discharge plans",
    "discharge_plan_recipients": "Who each discharge plan was sent to",
    "appointments": "Appointments",
    "missed_appointments": "Missed appointments",
    "closures": "Case closures",
    "closure_responses": "Responses to case closures",
    "transfers": "Transfers between local authorities",
    "transfer_ticks": "Transfer steps",
    "notifications": "Notifications sent about them",
    "deliveries": "Deliveries of those notifications",
    "delivery_attempts": "Delivery attempts",
    "escalation_steps": "Who each unacknowledged notification was escalated to",
    "chronology_entries": "Chronology",
    "inbound_messages": "Hospital messages received",
}
AUDIT = "audit_events"
ACTION = "subject_access.export"


def export(session: Session, young_person: YoungPerson, *, now: datetime) -> dict[str, Any]:
    """Everything held, as JSON-ready data: `tables` (name -> rows) and `audit_events` about the ref."""
    found = holdings.rows(session, holdings.walk(session, young_person_id=young_person.id))
    trail = session.scalars(
        select(AuditEvent).where(AuditEvent.young_person_ref == young_person.ref).order_by(AuditEvent.id)
    )
    data: dict[str, Any] = {
        "ref": young_person.ref,
        "generated_at": now,
        "tables": found,
        AUDIT: [event_row(e) for e in trail],
    }
    return dict(to_jsonable_python(data))


def counts(exported: dict[str, Any]) -> dict[str, int]:
    """Rows per table and audit events, for the audit event of the export itself."""
    rows = {name: len(found) for name, found in exported["tables"].items()}
    return rows | {AUDIT: len(exported[AUDIT])}


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return html.escape(json.dumps(value, ensure_ascii=False, indent=1))
    return html.escape("" if value is None else str(value))


def _table(title: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"<h2>{html.escape(title)}</h2>\n<p>None.</p>\n"
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "\n".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<h2>{html.escape(title)}</h2>\n<table>\n<tr>{head}</tr>\n{body}\n</table>\n"


def to_html(exported: dict[str, Any]) -> str:
    """The export for a person to read: one section per kind of record, then the audit trail."""
    ref = html.escape(exported["ref"])
    parts = [
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>",
        f"<title>Subject access export {ref}</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;vertical-align:top;text-align:left}"
        "td{white-space:pre-wrap}</style></head><body>",
        f"<h1>Everything liaison holds about {ref}</h1>",
        f"<p>Made {html.escape(str(exported['generated_at']))}. For review by information governance "
        "before disclosure.</p>",
    ]
    for name, rows in exported["tables"].items():
        parts.append(_table(TITLES.get(name, name), rows))
    parts.append(_table("Who read or changed the record (the audit trail)", exported[AUDIT]))
    parts.append("</body></html>\n")
    return "\n".join(parts)
