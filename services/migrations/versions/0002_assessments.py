"""Needs assessments: template versions, assessments and their answers, the unmet-needs register,
Gateway and Resolution escalations, THRIVE groupings; notifications generalised beyond attendances
(attendance_id nullable, one intent per dedup_key).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:20:08.037362
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_templates")),
        sa.UniqueConstraint(
            "template_id", "version", name=op.f("uq_assessment_templates_template_id_version")
        ),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("template_row_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("formulation", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["completed_by_id"], ["users.id"], name=op.f("fk_assessments_completed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["assessments.id"], name=op.f("fk_assessments_previous_id_assessments")
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["users.id"], name=op.f("fk_assessments_started_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["template_row_id"],
            ["assessment_templates.id"],
            name=op.f("fk_assessments_template_row_id_assessment_templates"),
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"], ["young_people.id"], name=op.f("fk_assessments_young_person_id_young_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_completed_at"), ["completed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_previous_id"), ["previous_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_template_row_id"), ["template_row_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_young_person_id"), ["young_person_id"], unique=False)

    op.create_table(
        "thrive_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("grouping", sa.String(length=32), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("young_person_agreed", sa.Boolean(), nullable=True),
        sa.Column("family_agreed", sa.Boolean(), nullable=True),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["users.id"], name=op.f("fk_thrive_records_assessor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_thrive_records_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thrive_records")),
    )
    with op.batch_alter_table("thrive_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_thrive_records_young_person_id"), ["young_person_id"], unique=False
        )

    op.create_table(
        "assessment_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_assessment_answers_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_answers_assessment_id_assessments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_answers")),
    )
    with op.batch_alter_table("assessment_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_answers_assessment_id"), ["assessment_id"], unique=False
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cetr_prompt", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("raised_from_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name=op.f("fk_escalations_assessment_id_assessments")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_escalations_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_escalations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["raised_from_id"], ["escalations.id"], name=op.f("fk_escalations_raised_from_id_escalations")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"], ["young_people.id"], name=op.f("fk_escalations_young_person_id_young_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_young_person_id"), ["young_person_id"], unique=False)

    op.create_table(
        "unmet_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("owning_team_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name=op.f("fk_unmet_needs_assessment_id_assessments")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_unmet_needs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owning_team_id"], ["teams.id"], name=op.f("fk_unmet_needs_owning_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"], ["young_people.id"], name=op.f("fk_unmet_needs_young_person_id_young_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_needs")),
    )
    with op.batch_alter_table("unmet_needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unmet_needs_assessment_id"), ["assessment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unmet_needs_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_unmet_needs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_unmet_needs_young_person_id"), ["young_person_id"], unique=False)

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedup_key", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE notifications SET dedup_key = 'attendance:' || CAST(attendance_id AS VARCHAR(20)) "
        "|| ':' || CAST(recipient_id AS VARCHAR(20))"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("dedup_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("attendance_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint("uq_notifications_attendance_id_recipient_id", type_="unique")
        batch_op.create_unique_constraint("uq_notifications_dedup_key", ["dedup_key"])


def downgrade() -> None:
    # Notifications that are not about an attendance cannot exist in the old schema: they go.
    op.execute(
        "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d "
        "JOIN notifications n ON n.id = d.notification_id WHERE n.attendance_id IS NULL)"
    )
    op.execute(
        "DELETE FROM deliveries WHERE notification_id IN "
        "(SELECT id FROM notifications WHERE attendance_id IS NULL)"
    )
    op.execute("DELETE FROM notifications WHERE attendance_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notifications_dedup_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_notifications_attendance_id_recipient_id", ["attendance_id", "recipient_id"]
        )
        batch_op.alter_column("attendance_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("dedup_key")

    with op.batch_alter_table("unmet_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmet_needs_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_unmet_needs_status"))
        batch_op.drop_index(batch_op.f("ix_unmet_needs_due_date"))
        batch_op.drop_index(batch_op.f("ix_unmet_needs_assessment_id"))

    op.drop_table("unmet_needs")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_status"))
        batch_op.drop_index(batch_op.f("ix_escalations_assessment_id"))

    op.drop_table("escalations")
    with op.batch_alter_table("assessment_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_answers_assessment_id"))

    op.drop_table("assessment_answers")
    with op.batch_alter_table("thrive_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thrive_records_young_person_id"))

    op.drop_table("thrive_records")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_assessments_template_row_id"))
        batch_op.drop_index(batch_op.f("ix_assessments_status"))
        batch_op.drop_index(batch_op.f("ix_assessments_previous_id"))
        batch_op.drop_index(batch_op.f("ix_assessments_completed_at"))

    op.drop_table("assessments")
    op.drop_table("assessment_templates")
