"""Migration 0013 folds discharge plans' follow-ups into `appointments` and moves every reference to them
(misses, notification keys, chronology details); its downgrade puts them back. On SQLite, and on PostgreSQL
(in a schema of its own) when DATABASE_URL names one."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from services.db import dispose_engines
from services.migrate import downgrade, upgrade

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
KEYS = [
    "missed:1:1",  # follow-up 1's miss, told to user 1
    "withdrawn:missed:1:1",
    "escalation:missed:1:duty",
    "escalation:missed:1:out_of_hours",
    "rescore:missed:1:1",
    "missed:2:1",
    "missed_appt:1:1",  # appointment 1's own miss: it keeps its key
    "withdrawn:missed_appt:1:1",
    "attendance:1:1",
]
MOVED = {  # follow-up 1 becomes appointment 2, follow-up 2 appointment 3
    "missed:1:1": "missed_appt:2:1",
    "withdrawn:missed:1:1": "withdrawn:missed_appt:2:1",
    "escalation:missed:1:duty": "escalation:missed_appt:2:duty",
    "escalation:missed:1:out_of_hours": "escalation:missed_appt:2:out_of_hours",
    "rescore:missed:1:1": "rescore:missed_appt:2:1",
    "missed:2:1": "missed_appt:3:1",
}
DETAILS = [
    {"follow_up_id": 1, "discharge_plan_id": 1, "barriers": ["transport"], "told": ["nurse"], "gaps": []},
    {"follow_up_id": 2, "discharge_plan_id": 1, "from": "scheduled", "to": "attended"},
    {"follow_up_ids": [1], "appointment_ids": [1], "window_days": 90},
    {"reason": "a missed appointment", "event": "missed:1", "asked": ["nurse"]},
    {"appointment_id": 1, "appointment_kind": "camhs", "barriers": []},
]
DETAILS_AFTER = [
    {
        "appointment_id": 2,
        "appointment_kind": "follow_up",
        "discharge_plan_id": 1,
        "barriers": ["transport"],
        "told": ["nurse"],
        "gaps": [],
    },
    {
        "appointment_id": 3,
        "appointment_kind": "follow_up",
        "discharge_plan_id": 1,
        "from": "scheduled",
        "to": "attended",
    },
    {"follow_up_ids": [2], "appointment_ids": [1], "window_days": 90},
    {"reason": "a missed appointment", "event": "missed_appt:2", "asked": ["nurse"]},
    {"appointment_id": 1, "appointment_kind": "camhs", "barriers": []},
]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fold.db'}"
        dispose_engines()
        return
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        pytest.skip("DATABASE_URL names no PostgreSQL database")
    schema = f"mig0013_{uuid.uuid4().hex[:8]}"
    admin = create_engine(configured)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{configured}?options=-csearch_path%3D{schema}"
    finally:
        dispose_engines()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _seed(engine: Engine) -> None:
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as c:
        c.execute(
            t["teams"].insert(),
            [
                {
                    "code": "CEC-CAMHS",
                    "name": "Team CAMHS",
                    "agency": "camhs",
                    "is_duty": False,
                    "is_out_of_hours": False,
                    "created_at": AT,
                }
            ],
        )
        c.execute(
            t["users"].insert(),
            [
                {
                    "username": "nurse",
                    "display_name": "Nurse",
                    "role": "clinician",
                    "team_id": 1,
                    "active": True,
                    "created_at": AT,
                }
            ],
        )
        c.execute(
            t["young_people"].insert(),
            [
                {
                    "ref": "YP-0013",
                    "nhs_number": "9990000018",
                    "given_name": "Test",
                    "family_name": "Person",
                    "date_of_birth": date(2010, 1, 1),
                    "responsible_la": "CEC",
                    "statuses": [],
                    "created_at": AT,
                    "updated_at": AT,
                }
            ],
        )
        c.execute(
            t["discharge_plans"].insert(),
            [
                {
                    "young_person_id": 1,
                    "status": "issued",
                    "first_contact_hours": 72,
                    "content": {},
                    "created_by_id": 1,
                    "created_at": AT,
                    "updated_at": AT,
                }
            ],
        )
        # Appointment 1 shares its id with follow-up 1: the fold must not confuse them.
        c.execute(
            t["appointments"].insert(),
            [
                {
                    "young_person_id": 1,
                    "at": AT,
                    "kind": "camhs",
                    "owner_team_id": 1,
                    "status": "was_not_brought",
                    "source": "api",
                    "created_by_id": 1,
                    "created_at": AT,
                }
            ],
        )
        c.execute(
            t["follow_up_appointments"].insert(),
            [
                {
                    "discharge_plan_id": 1,
                    "at": AT,
                    "owner_team_id": 1,
                    "owner_id": 1,
                    "location": "Clinic 3",
                    "purpose": "Review",
                    "status": "was_not_brought",
                    "note": "Rebooked",
                    "recorded_by_id": 1,
                    "recorded_at": AT,
                },
                {
                    "discharge_plan_id": 1,
                    "at": AT,
                    "owner_team_id": 1,
                    "owner_id": None,
                    "location": "Home visit",
                    "purpose": None,
                    "status": "attended",
                    "note": None,
                    "recorded_by_id": None,
                    "recorded_at": None,
                },
            ],
        )
        miss = {
            "young_person_id": 1,
            "status": "was_not_brought",
            "appointment_at": AT,
            "owner_team_id": 1,
            "reason": "No transport",
            "barriers": ["transport"],
            "statuses": [],
            "told": ["nurse"],
            "recorded_by_id": 1,
            "recorded_at": AT,
        }
        c.execute(
            t["missed_appointments"].insert(),
            [
                {**miss, "follow_up_id": 1, "appointment_id": None},
                {**miss, "follow_up_id": None, "appointment_id": 1},
            ],
        )
        c.execute(
            t["notifications"].insert(),
            [
                {
                    "young_person_id": 1,
                    "recipient_id": 1,
                    "recipient_role": "care_coordinator",
                    "kind": "was_not_brought",
                    "status": "sent",
                    "created_at": AT,
                    "dedup_key": key,
                }
                for key in KEYS
            ],
        )
        c.execute(
            t["chronology_entries"].insert(),
            [
                {
                    "young_person_id": 1,
                    "at": AT,
                    "kind": "was_not_brought",
                    "summary": "s",
                    "detail": d,
                    "recorded_at": AT,
                }
                for d in DETAILS
            ],
        )


def _rows(engine: Engine, table: str, *columns: str) -> list[tuple[Any, ...]]:
    meta = MetaData()
    meta.reflect(engine, only=[table])
    found = meta.tables[table]
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(select(*(found.c[n] for n in columns)).order_by(found.c.id))]


def test_follow_ups_become_appointments_and_come_back(database: str) -> None:
    upgrade(database, "0012")
    engine = create_engine(database)
    _seed(engine)
    before_follow_ups = _rows(
        engine, "follow_up_appointments", "id", "discharge_plan_id", "location", "status", "note", "owner_id"
    )

    upgrade(database)
    assert "follow_up_appointments" not in inspect(engine).get_table_names()
    assert "follow_up_id" not in {c["name"] for c in inspect(engine).get_columns("missed_appointments")}
    assert _rows(engine, "appointments", "id", "discharge_plan_id", "kind", "location", "status", "note") == [
        (1, None, "camhs", None, "was_not_brought", None),
        (2, 1, "follow_up", "Clinic 3", "was_not_brought", "Rebooked"),
        (3, 1, "follow_up", "Home visit", "attended", None),
    ]
    assert _rows(engine, "missed_appointments", "appointment_id") == [(2,), (1,)]
    keys = [k for (k,) in _rows(engine, "notifications", "dedup_key")]
    assert keys == [MOVED.get(k, k) for k in KEYS]
    assert not [k for k in keys if re.search(r"(^|:)missed:", k)]  # only "missed_appt:" keys remain
    assert [d for (d,) in _rows(engine, "chronology_entries", "detail")] == DETAILS_AFTER

    downgrade(database, "0012")
    assert "discharge_plan_id" not in {c["name"] for c in inspect(engine).get_columns("appointments")}
    assert _rows(engine, "appointments", "id", "kind") == [(1, "camhs")]
    assert (
        _rows(
            engine,
            "follow_up_appointments",
            "id",
            "discharge_plan_id",
            "location",
            "status",
            "note",
            "owner_id",
        )
        == before_follow_ups
    )
    assert _rows(engine, "missed_appointments", "follow_up_id", "appointment_id") == [(1, None), (None, 1)]
    assert [k for (k,) in _rows(engine, "notifications", "dedup_key")] == KEYS
    assert [d for (d,) in _rows(engine, "chronology_entries", "detail")] == DETAILS
    engine.dispose()
