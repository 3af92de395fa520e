"""One appointment table: a discharge plan's follow-up is an `appointments` row with the plan's id
(`discharge_plan_id`, kind `follow_up`), and `follow_up_appointments` goes. Every follow-up column has an
appointment equivalent; the young person, who created it and when come from its plan.

Follow-ups get new (appointment) ids, so every reference is moved with them:
- `missed_appointments.follow_up_id` -> `appointment_id` (which is then required; `follow_up_id` goes);
- notification dedup keys "missed:<follow-up id>:<user>" -> "missed_appt:<appointment id>:<user>", and the
  keys built on them ("withdrawn:missed:...", "rescore:missed:...", "escalation:missed:...:duty" and
  ":out_of_hours");
- chronology details: `follow_up_id` -> `appointment_id` (with `appointment_kind` `follow_up`), the
  `follow_up_ids` of a `missed_pattern` entry, and a re-score prompt's `event` "missed:<id>".
Audit events keep the follow-up ids they were written with: they are sealed by the audit chain (0011), and
an audit record says what was true when it was written.

Downgrade puts follow-ups back in their own table (new follow-up ids, references moved back).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
FOLLOW_UP_COLUMNS = ("at", "owner_team_id", "owner_id", "location", "purpose", "status", "note")
RECORDED = ("recorded_by_id", "recorded_at")

follow_ups = sa.table(
    "follow_up_appointments",
    sa.column("id", sa.Integer),
    sa.column("discharge_plan_id", sa.Integer),
    sa.column("at", UTC),
    sa.column("owner_team_id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("location", sa.String),
    sa.column("purpose", sa.String),
    sa.column("status", sa.String),
    sa.column("note", sa.Text),
    sa.column("recorded_by_id", sa.Integer),
    sa.column("recorded_at", UTC),
)
appointments = sa.table(
    "appointments",
    sa.column("id", sa.Integer),
    sa.column("young_person_id", sa.Integer),
    sa.column("discharge_plan_id", sa.Integer),
    sa.column("at", UTC),
    sa.column("kind", sa.String),
    sa.column("owner_team_id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("location", sa.String),
    sa.column("purpose", sa.String),
    sa.column("status", sa.String),
    sa.column("note", sa.Text),
    sa.column("source", sa.String),
    sa.column("created_by_id", sa.Integer),
    sa.column("created_at", UTC),
    sa.column("recorded_by_id", sa.Integer),
    sa.column("recorded_at", UTC),
)
plans = sa.table(
    "discharge_plans",
    sa.column("id", sa.Integer),
    sa.column("young_person_id", sa.Integer),
    sa.column("created_by_id", sa.Integer),
    sa.column("created_at", UTC),
)
missed = sa.table(
    "missed_appointments",
    sa.column("id", sa.Integer),
    sa.column("follow_up_id", sa.Integer),
    sa.column("appointment_id", sa.Integer),
)
notifications = sa.table("notifications", sa.column("id", sa.Integer), sa.column("dedup_key", sa.String))
chronology = sa.table("chronology_entries", sa.column("id", sa.Integer), sa.column("detail", sa.JSON))


def _rekey(key: str, old: str, new: str, ids: Mapping[int, int]) -> str:
    """Every "<old>:<id>" part of a key (whatever comes before or after it) becomes "<new>:<ids[id]>"."""

    def swap(match: re.Match[str]) -> str:
        found = ids.get(int(match.group(2)))
        return match.group(0) if found is None else f"{match.group(1)}{new}:{found}"

    return re.sub(rf"(^|:){old}:(\d+)(?=:|$)", swap, key)


def _move_keys(old: str, new: str, ids: Mapping[int, int]) -> None:
    if not ids:
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(notifications.c.id, notifications.c.dedup_key).where(
            notifications.c.dedup_key.like(f"%{old}:%")
        )
    ).all()
    for row_id, key in rows:
        moved = _rekey(key, old, new, ids)
        if moved != key:
            connection.execute(
                notifications.update().where(notifications.c.id == row_id).values(dedup_key=moved)
            )


def _move_details(ids: Mapping[int, int], *, up: bool) -> None:
    """Chronology details that name a follow-up (up) or a follow-up's appointment (down)."""
    if not ids:
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(chronology.c.id, chronology.c.detail).where(
            sa.cast(chronology.c.detail, sa.Text).like("%follow_up%")
            | sa.cast(chronology.c.detail, sa.Text).like("%missed%")
        )
    ).all()
    for row_id, detail in rows:
        if not isinstance(detail, dict):
            continue
        moved = _detail_up(detail, ids) if up else _detail_down(detail, ids)
        if moved != detail:
            connection.execute(chronology.update().where(chronology.c.id == row_id).values(detail=moved))


def _detail_up(detail: dict[str, Any], ids: Mapping[int, int]) -> dict[str, Any]:
    moved = dict(detail)
    if isinstance(moved.get("follow_up_id"), int) and moved["follow_up_id"] in ids:
        old = moved.pop("follow_up_id")
        moved = {"appointment_id": ids[old], "appointment_kind": "follow_up", **moved}
    if isinstance(moved.get("follow_up_ids"), list):
        moved["follow_up_ids"] = sorted(ids.get(i, i) for i in moved["follow_up_ids"])
    if isinstance(moved.get("event"), str):
        moved["event"] = _rekey(moved["event"], "missed", "missed_appt", ids)
    return moved


def _detail_down(detail: dict[str, Any], ids: Mapping[int, int]) -> dict[str, Any]:
    moved = dict(detail)
    if moved.get("appointment_kind") == "follow_up" and moved.get("appointment_id") in ids:
        moved.pop("appointment_kind")
        moved = {"follow_up_id": ids[moved.pop("appointment_id")], **moved}
    if isinstance(moved.get("follow_up_ids"), list):
        moved["follow_up_ids"] = sorted(ids.get(i, i) for i in moved["follow_up_ids"])
    if isinstance(moved.get("event"), str):
        moved["event"] = _rekey(moved["event"], "missed_appt", "missed", ids)
    return moved


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """SQLite changes `appointments` by copying it to a new table and dropping the old, which its foreign
    keys (misses and inbound messages point at appointments) refuse while they are enforced: switch them off
    for that (outside the transaction, as SQLite requires), then check every reference still holds."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    yield
    broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).all()
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"0013 left {len(broken)} broken reference(s)")


def upgrade() -> None:
    with _sqlite_foreign_keys_off():
        _upgrade()


def downgrade() -> None:
    with _sqlite_foreign_keys_off():
        _downgrade()


def _upgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discharge_plan_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_appointments_discharge_plan_id"), ["discharge_plan_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_discharge_plan_id_discharge_plans"),
            "discharge_plans",
            ["discharge_plan_id"],
            ["id"],
        )

    connection = op.get_bind()
    ids: dict[int, int] = {}  # follow-up id -> appointment id
    rows = connection.execute(
        sa.select(follow_ups, plans.c.young_person_id, plans.c.created_by_id, plans.c.created_at)
        .join(plans, plans.c.id == follow_ups.c.discharge_plan_id)
        .order_by(follow_ups.c.id)
    ).mappings()
    for row in list(rows):
        inserted = connection.execute(
            appointments.insert()
            .values(
                young_person_id=row["young_person_id"],
                discharge_plan_id=row["discharge_plan_id"],
                kind="follow_up",
                source="api",
                created_by_id=row["created_by_id"],
                created_at=row["created_at"],
                **{name: row[name] for name in (*FOLLOW_UP_COLUMNS, *RECORDED)},
            )
            .returning(appointments.c.id)
        )
        ids[row["id"]] = int(inserted.scalar_one())
    for follow_up_id, appointment_id in ids.items():
        connection.execute(
            missed.update()
            .where(missed.c.follow_up_id == follow_up_id)
            .values(appointment_id=appointment_id, follow_up_id=None)
        )

    with op.batch_alter_table("missed_appointments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_missed_appointments_one_appointment"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_missed_appointments_follow_up_id_follow_up_appointments"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_missed_appointments_follow_up_id"), type_="unique")
        batch_op.drop_column("follow_up_id")
        batch_op.alter_column("appointment_id", existing_type=sa.Integer(), nullable=False)

    _move_keys("missed", "missed_appt", ids)
    _move_details(ids, up=True)

    with op.batch_alter_table("follow_up_appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_appointments_status"))
        batch_op.drop_index(batch_op.f("ix_follow_up_appointments_discharge_plan_id"))
        batch_op.drop_index(batch_op.f("ix_follow_up_appointments_at"))
    op.drop_table("follow_up_appointments")


def _downgrade() -> None:
    op.create_table(
        "follow_up_appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discharge_plan_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_team_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=2000), nullable=False),
        sa.Column("purpose", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["discharge_plan_id"],
            ["discharge_plans.id"],
            name=op.f("fk_follow_up_appointments_discharge_plan_id_discharge_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_follow_up_appointments_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_team_id"], ["teams.id"], name=op.f("fk_follow_up_appointments_owner_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_follow_up_appointments_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_appointments")),
    )
    with op.batch_alter_table("follow_up_appointments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_appointments_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_follow_up_appointments_discharge_plan_id"), ["discharge_plan_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_follow_up_appointments_status"), ["status"], unique=False)

    connection = op.get_bind()
    ids: dict[int, int] = {}  # appointment id -> follow-up id
    rows = connection.execute(
        sa.select(appointments)
        .where(appointments.c.discharge_plan_id.is_not(None))
        .order_by(appointments.c.id)
    ).mappings()
    for row in list(rows):
        inserted = connection.execute(
            follow_ups.insert()
            .values(
                discharge_plan_id=row["discharge_plan_id"],
                **{name: row[name] for name in (*FOLLOW_UP_COLUMNS, *RECORDED)},
            )
            .returning(follow_ups.c.id)
        )
        ids[row["id"]] = int(inserted.scalar_one())

    with op.batch_alter_table("missed_appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_id", sa.Integer(), nullable=True))
        batch_op.alter_column("appointment_id", existing_type=sa.Integer(), nullable=True)
    for appointment_id, follow_up_id in ids.items():
        connection.execute(
            missed.update()
            .where(missed.c.appointment_id == appointment_id)
            .values(follow_up_id=follow_up_id, appointment_id=None)
        )
    with op.batch_alter_table("missed_appointments", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_missed_appointments_follow_up_id"), ["follow_up_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_missed_appointments_follow_up_id_follow_up_appointments"),
            "follow_up_appointments",
            ["follow_up_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "one_appointment", "(follow_up_id IS NULL) <> (appointment_id IS NULL)"
        )

    _move_keys("missed_appt", "missed", ids)
    _move_details(ids, up=False)

    connection.execute(appointments.delete().where(appointments.c.discharge_plan_id.is_not(None)))
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appointments_discharge_plan_id_discharge_plans"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_appointments_discharge_plan_id"))
        batch_op.drop_column("discharge_plan_id")
