"""Everything liaison holds about one young person, found by walking the schema (a read: never writes).

A row is the young person's when it has a foreign key to a row that is: their `young_people` row, then
every row pointing at one of those (attendances, notifications, then their deliveries and attempts, plans,
their reviews and recipients, ...), until nothing new is found. The subject access export and erasure both
use this walk, so a table added later is exported and erased without anyone remembering to (a test walks
the metadata to prove it). The audit trail is not walked: it names a ref, never a row, and is append-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, or_, select
from sqlalchemy.orm import Session

from services.kernel.audit.models import AuditEvent, AuditSeal
from services.models import Base  # from the module that imports every table: the walk sees the whole schema
from services.people.models import YoungPerson

NOT_WALKED = frozenset({AuditEvent.__tablename__, AuditSeal.__tablename__})
ROOT = YoungPerson.__tablename__


def key(table: Table) -> Column[Any]:
    (key,) = table.primary_key.columns  # every table of ours has a one-column primary key
    return key


def tables() -> list[Table]:
    """Every table of the schema, dependencies first (SQLAlchemy's sort)."""
    return list(Base.metadata.sorted_tables)


@dataclass
class Holdings:
    """The ids of the young person's rows, per table name (their `young_people` row included)."""

    ids: dict[str, set[int]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(ids) for name, ids in sorted(self.ids.items()) if ids}


def walk(session: Session, *, young_person_id: int) -> Holdings:
    held = Holdings({ROOT: {young_person_id}})
    by_name = {t.name: t for t in tables()}
    grew = True
    while grew:
        grew = False
        for table in by_name.values():
            if table.name in NOT_WALKED:
                continue
            pointers = [
                fk.parent.in_(held.ids[fk.column.table.name])
                for fk in table.foreign_keys
                if held.ids.get(fk.column.table.name)
            ]
            if not pointers:
                continue
            found = set(session.scalars(select(key(table)).where(or_(*pointers))))
            new = found - held.ids.get(table.name, set())
            if new:
                held.ids.setdefault(table.name, set()).update(new)
                grew = True
    return held


def rows(session: Session, holdings: Holdings) -> dict[str, list[dict[str, Any]]]:
    """The rows themselves, every column, per table (in schema order, each table by id)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table in tables():
        ids = holdings.ids.get(table.name)
        if not ids:
            continue
        primary = key(table)
        found = session.execute(select(table).where(primary.in_(ids)).order_by(primary)).mappings()
        out[table.name] = [dict(r) for r in found]
    return out


def moments(found: dict[str, list[dict[str, Any]]]) -> Iterator[date | datetime]:
    """Every date and time on the rows but the birth and death dates (what `rules.last_contact` reads)."""
    for name, table_rows in found.items():
        for row in table_rows:
            for column, value in row.items():
                if name == ROOT and column in ("date_of_birth", "date_of_death"):
                    continue
                if isinstance(value, date | datetime):
                    yield value
