"""A young person's chronology as people read it: every entry in time order with the agency it belongs to,
filtered by kind, agency and date (`services.kernel.chronology.rules`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.kernel.chronology import rules
from services.kernel.chronology import service as chronology
from services.kernel.chronology.models import ChronologyEntry
from services.staff.models import Team, User


@dataclass(frozen=True)
class Row:
    entry: ChronologyEntry
    agency: str | None


@dataclass(frozen=True)
class Filtered:
    rows: list[Row]
    kinds: list[str]  # every kind in the whole chronology, for the filter's choices
    agencies: list[str]


def read(
    session: Session,
    *,
    young_person_id: int,
    kinds: frozenset[str] = frozenset(),
    agencies: frozenset[str] = frozenset(),
    since: date | None = None,
    until: date | None = None,
) -> Filtered:
    entries = chronology.list_for(session, young_person_id=young_person_id)
    names = {name for e in entries if (name := rules.actor_of(e.detail or {}))}
    agency_by_username: dict[str, str] = {}
    if names:
        statement = select(User.username, Team.agency).join(Team).where(User.username.in_(names))
        agency_by_username = {str(row[0]): str(row[1]) for row in session.execute(statement)}
    every = [Row(e, rules.agency_of(e.kind, e.detail or {}, agency_by_username)) for e in entries]
    shown = [
        r
        for r in every
        if rules.kept(
            kind=r.entry.kind,
            agency=r.agency,
            at=r.entry.at,
            kinds=kinds,
            agencies=agencies,
            since=since,
            until=until,
        )
    ]
    return Filtered(
        rows=shown,
        kinds=sorted({r.entry.kind for r in every}),
        agencies=sorted({r.agency for r in every if r.agency}),
    )
