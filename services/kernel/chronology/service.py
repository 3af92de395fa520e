"""Appending to and reading a young person's chronology."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.kernel.chronology.models import ChronologyEntry

SUMMARY_MAX = 500  # ChronologyEntry.summary's column length; the full facts are in `detail`


def add(
    session: Session,
    *,
    young_person_id: int,
    at: datetime,
    kind: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> ChronologyEntry:
    if len(summary) > SUMMARY_MAX:  # never lose the entry over its length (PostgreSQL would refuse it)
        summary = summary[: SUMMARY_MAX - 1] + "…"
    entry = ChronologyEntry(
        young_person_id=young_person_id, at=at, kind=kind, summary=summary, detail=detail or {}
    )
    session.add(entry)
    return entry


def list_for(session: Session, *, young_person_id: int) -> list[ChronologyEntry]:
    """Every entry, oldest first (ties in the order they were recorded)."""
    return list(
        session.scalars(
            select(ChronologyEntry)
            .where(ChronologyEntry.young_person_id == young_person_id)
            .order_by(ChronologyEntry.at, ChronologyEntry.id)
        )
    )
