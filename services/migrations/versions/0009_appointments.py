"""Appointments of any care-team service (`appointments`), booked by hand or from a hospital or clinic
system; `missed_appointments` records a miss of either a discharge plan's follow-up or an appointment
(exactly one of `follow_up_id` and `appointment_id`), with the owning team and the recorder optional (an
intake no-show from an unmapped facility, or over MLLP). `inbound_messages` links the appointment an HL7
SIU message was about.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("owner_team_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=2000), nullable=True),
        sa.Column("purpose", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("facility", sa.String(length=64), nullable=True),
        sa.Column("external_system", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_appointments_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_appointments_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["owner_team_id"], ["teams.id"], name=op.f("fk_appointments_owner_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_appointments_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_appointments_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint(
            "external_system", "external_id", name=op.f("uq_appointments_external_system_external_id")
        ),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointments_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointments_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_appointments_young_person_id"), ["young_person_id"], unique=False
        )

    with op.batch_alter_table("missed_appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appointment_id", sa.Integer(), nullable=True))
        batch_op.alter_column("follow_up_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("owner_team_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f("uq_missed_appointments_appointment_id"), ["appointment_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_missed_appointments_appointment_id_appointments"),
            "appointments",
            ["appointment_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "one_appointment", "(follow_up_id IS NULL) <> (appointment_id IS NULL)"
        )

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appointment_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_inbound_messages_appointment_id_appointments"),
            "appointments",
            ["appointment_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_inbound_messages_appointment_id_appointments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_inbound_messages_appointment_id"))
        batch_op.drop_column("appointment_id")

    # Misses of appointments have nowhere to go in the older schema (one follow-up each): they are dropped.
    op.execute("DELETE FROM missed_appointments WHERE appointment_id IS NOT NULL")
    with op.batch_alter_table("missed_appointments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_missed_appointments_one_appointment"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_missed_appointments_appointment_id_appointments"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_missed_appointments_appointment_id"), type_="unique")
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("owner_team_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("follow_up_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("appointment_id")

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_appointments_status"))
        batch_op.drop_index(batch_op.f("ix_appointments_at"))
    op.drop_table("appointments")
