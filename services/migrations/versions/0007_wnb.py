"""Missed follow-up appointments (was not brought / did not attend): why, what got in the way, the capacity
check behind a did_not_attend, and who was told. One row per appointment.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 17:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "missed_appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("appointment_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_team_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("barriers", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.JSON(), nullable=True),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("told", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_up_appointments.id"],
            name=op.f("fk_missed_appointments_follow_up_id_follow_up_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_team_id"], ["teams.id"], name=op.f("fk_missed_appointments_owner_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_missed_appointments_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_missed_appointments_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missed_appointments")),
        sa.UniqueConstraint("follow_up_id", name=op.f("uq_missed_appointments_follow_up_id")),
    )
    with op.batch_alter_table("missed_appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_missed_appointments_young_person_id"), ["young_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_missed_appointments_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_missed_appointments_appointment_at"), ["appointment_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("missed_appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_missed_appointments_appointment_at"))
        batch_op.drop_index(batch_op.f("ix_missed_appointments_status"))
        batch_op.drop_index(batch_op.f("ix_missed_appointments_young_person_id"))
    op.drop_table("missed_appointments")
