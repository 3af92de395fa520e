"""Escalation of unacknowledged attendance alerts: one row per step taken (unique per alert and step, so
two schedulers take a step once), and the alert a reminder or escalation notification chases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 16:46:01.568480
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("told", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_escalation_steps_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_steps")),
        sa.UniqueConstraint("notification_id", "step", name=op.f("uq_escalation_steps_notification_id_step")),
    )
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_steps_notification_id"), ["notification_id"], unique=False
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalates_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notifications_escalates_id"), ["escalates_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_escalates_id_notifications"),
            "notifications",
            ["escalates_id"],
            ["id"],
        )


def downgrade() -> None:
    # Reminders and escalations cannot be told apart from other notifications in the old schema: they go.
    op.execute(
        "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d "
        "JOIN notifications n ON n.id = d.notification_id WHERE n.escalates_id IS NOT NULL)"
    )
    op.execute(
        "DELETE FROM deliveries WHERE notification_id IN "
        "(SELECT id FROM notifications WHERE escalates_id IS NOT NULL)"
    )
    op.execute("DELETE FROM escalation_steps")
    op.execute("DELETE FROM notifications WHERE escalates_id IS NOT NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_escalates_id_notifications"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_notifications_escalates_id"))
        batch_op.drop_column("escalates_id")

    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_steps_notification_id"))

    op.drop_table("escalation_steps")
