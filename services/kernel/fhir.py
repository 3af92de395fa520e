"""What every liaison FHIR R4 export shares: the base URL and identifier systems, the media type, and how a
young person and an instant are written. Pure.

Nothing is a Patient resource: the young person is referred to by their opaque `ref` as an identifier,
never by NHS number, name or birth date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

BASE = "https://liaison.example/fhir"
YOUNG_PERSON_SYSTEM = "https://liaison.example/Id/young-person-ref"
ASSESSMENT_SYSTEM = "https://liaison.example/Id/assessment"
MEDIA_TYPE = "application/fhir+json"


def instant(moment: datetime) -> str:
    """An ISO instant in UTC (a naive value is taken to be UTC, as the database stores it)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def subject(ref: str) -> dict[str, Any]:
    """The young person, by opaque ref only."""
    return {"type": "Patient", "identifier": {"system": YOUNG_PERSON_SYSTEM, "value": ref}}
