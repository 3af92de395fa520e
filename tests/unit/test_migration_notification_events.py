"""Migration 0014 turns every legacy dedup key into a typed event, voids what its producer has already
settled, and goes down again (SQLite always; PostgreSQL too when DATABASE_URL names one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services.db import dispose_engines
from services.migrate import downgrade, upgrade

T0 = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _filler(column: sa.Column[Any], unique: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.DateTime):
        return T0
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1)
    if isinstance(kind, sa.JSON):
        return []
    return f"x{unique}"  # unique enough for a unique constraint


def _insert(connection: sa.Connection, table: str, **values: Any) -> None:
    """A row with these values, every other required column filled (foreign keys are not checked here)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    row = {
        c.name: _filler(c, values.get("id", 0))
        for c in reflected.columns
        if not c.nullable and c.server_default is None and not c.primary_key and c.name not in values
    }
    connection.execute(reflected.insert().values(**row, **values))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.db'}"
        dispose_engines()
        return
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        pytest.skip("DATABASE_URL names no PostgreSQL database")
    base = sa.make_url(configured).set(drivername="postgresql+psycopg")
    schema = f"mig_{uuid.uuid4().hex[:8]}"  # a schema of its own: the test database's tables stay
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    dispose_engines()
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _notify(connection: sa.Connection, id_: int, key: str, kind: str, escalates: int | None = None) -> None:
    _insert(
        connection,
        "notifications",
        id=id_,
        dedup_key=key,
        kind=kind,
        young_person_id=1,
        recipient_id=7,
        recipient_role="out_of_hours" if "out_of_hours" in key else "gp",
        status="pending",
        created_at=T0,
        escalates_id=escalates,
    )


def _legacy(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SET session_replication_role = replica"))  # no foreign keys
        _insert(connection, "teams", id=1)  # what the notifications' own foreign keys name
        _insert(connection, "young_people", id=1)
        _insert(connection, "users", id=7, team_id=1)
        _insert(connection, "attendances", id=12, status="cancelled", cancelled_at=T1)
        _insert(connection, "attendances", id=13, status="open")
        _insert(connection, "missed_appointments", id=1, appointment_id=4, status="was_not_brought",
                withdrawn_at=T1)  # fmt: skip
        _insert(connection, "escalations", id=3, status="resolved", closed_at=T1)
        _insert(connection, "transfers", id=2, status="accepted", accepted_at=T1)
        _notify(connection, 1, "attendance:12:7", "attendance")
        _notify(connection, 2, "attendance:13:7", "attendance")
        _notify(connection, 3, "gateway:3:7", "gateway")
        _notify(connection, 4, "missed:5:7", "was_not_brought")
        _notify(connection, 5, "missed_appt:4:7", "missed_appointments")
        _notify(connection, 6, "transfer_overdue:2:1:7", "transfer_overdue")
        _notify(connection, 7, "transfer_opened:2:7", "transfer_opened")
        _notify(connection, 8, "withdrawn:missed_appt:4:7", "missed_appointment_withdrawn")
        _notify(connection, 9, "rescore:attendance:12:7", "rescore")
        _notify(connection, 10, "care_plan_review_due:1:2026-12-03:7", "plan_review_due")
        _notify(connection, 11, "rescore:residence:1:2026-11-28T09:30:00.123+00:00:7", "rescore")
        _notify(connection, 12, "reminder:1:7", "reminder", escalates=1)
        _notify(connection, 13, "escalation:attendance:13:out_of_hours:7", "escalation", escalates=2)
        _notify(connection, 14, "escalation:rescore:residence:1:2026-11-28T09:30:00.123+00:00:duty:7",
                "escalation", escalates=11)  # fmt: skip
    engine.dispose()


def _rows(url: str) -> dict[int, tuple[Any, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "SELECT id, event_type, event_id, event_round, voided_at IS NOT NULL, dedup_key "
                "FROM notifications"
            )  # fmt: skip
        )
        rows = {row[0]: tuple(row[1:]) for row in found}
    engine.dispose()
    return rows


def test_legacy_keys_become_typed_events_and_settled_ones_are_voided(url: str) -> None:
    upgrade(url, "0013")  # 0013 rewrote follow-ups' "missed:<id>" keys; one left over is typed too
    _legacy(url)
    upgrade(url, "0014")
    rows = _rows(url)
    assert rows[1] == ("attendance", 12, None, True, "attendance:12:7")  # cancelled
    assert rows[2] == ("attendance", 13, None, False, "attendance:13:7")
    assert rows[3] == ("gateway", 3, None, True, "gateway:3:7")  # resolved
    assert rows[4] == ("missed", 5, None, False, "missed:5:7")  # a key of before 0013, typed all the same
    assert rows[5] == ("missed_appt", 4, None, True, "missed_appt:4:7")  # withdrawn
    assert rows[6] == ("transfer_overdue", 2, 1, True, "transfer_overdue:2:1:7")  # accepted: no longer open
    assert rows[7] == ("transfer_opened", 2, None, False, "transfer_opened:2:7")  # accepted, not withdrawn
    assert rows[8] == ("missed_appt", 4, None, False, "withdrawn:missed_appt:4:7")  # informational
    assert rows[9] == ("attendance", 12, None, False, "rescore:attendance:12:7")  # a prompt is not voided
    assert rows[10] == ("care_plan_review_due", 1, 20261203, False, "care_plan_review_due:1:2026-12-03:7")
    assert rows[11] == ("residence", 1, -11, False, "rescore:residence:1:2026-11-28T09:30:00.123+00:00:7")
    assert rows[12] == ("attendance", 12, None, True, "reminder:1:7")  # with the alert it repeats
    assert rows[13] == ("attendance", 13, None, False, "escalation:attendance:13:out_of_hours:7")
    assert rows[14] == (
        "residence",
        1,
        -11,
        False,
        "escalation:rescore:residence:1:2026-11-28T09:30:00.123+00:00:duty:7",
    )

    downgrade(url, "0013")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("notifications")}
    engine.dispose()
    assert not columns & {"event_type", "event_id", "event_round", "voided_at"}
    upgrade(url, "0014")
    assert _rows(url)[5] == ("missed_appt", 4, None, True, "missed_appt:4:7")
