"""Plans: care plans and safety plans (one row per version), care-plan reviews, multi-agency discharge
plans with their follow-up appointments and distribution list (linked to the notifications that told
each person named).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 16:45:41.121081
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("review_prompted_for", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["care_plans.id"], name=op.f("fk_care_plans_previous_id_care_plans")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_care_plans_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"], ["young_people.id"], name=op.f("fk_care_plans_young_person_id_young_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plans")),
        sa.UniqueConstraint("young_person_id", "version", name=op.f("uq_care_plans_young_person_id_version")),
    )
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_plans_review_date"), ["review_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_plans_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_plans_young_person_id"), ["young_person_id"], unique=False)

    op.create_table(
        "safety_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["safety_plans.id"], name=op.f("fk_safety_plans_previous_id_safety_plans")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_safety_plans_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_safety_plans_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_plans")),
        sa.UniqueConstraint(
            "young_person_id", "version", name=op.f("uq_safety_plans_young_person_id_version")
        ),
    )
    with op.batch_alter_table("safety_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_plans_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_safety_plans_young_person_id"), ["young_person_id"], unique=False
        )

    op.create_table(
        "care_plan_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("care_plan_id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_review_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["care_plan_id"], ["care_plans.id"], name=op.f("fk_care_plan_reviews_care_plan_id_care_plans")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_care_plan_reviews_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_care_plan_reviews_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan_reviews")),
    )
    with op.batch_alter_table("care_plan_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_plan_reviews_care_plan_id"), ["care_plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_care_plan_reviews_young_person_id"), ["young_person_id"], unique=False
        )

    op.create_table(
        "discharge_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("attendance_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("care_coordinator_id", sa.Integer(), nullable=True),
        sa.Column("lead_social_worker_id", sa.Integer(), nullable=True),
        sa.Column("discharge_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_contact_hours", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("care_plan_id", sa.Integer(), nullable=True),
        sa.Column("safety_plan_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("distribution_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_outcome", sa.Text(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name=op.f("fk_discharge_plans_assessment_id_assessments")
        ),
        sa.ForeignKeyConstraint(
            ["attendance_id"], ["attendances.id"], name=op.f("fk_discharge_plans_attendance_id_attendances")
        ),
        sa.ForeignKeyConstraint(
            ["care_coordinator_id"], ["users.id"], name=op.f("fk_discharge_plans_care_coordinator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["care_plan_id"], ["care_plans.id"], name=op.f("fk_discharge_plans_care_plan_id_care_plans")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_discharge_plans_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_discharge_plans_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_social_worker_id"],
            ["users.id"],
            name=op.f("fk_discharge_plans_lead_social_worker_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_discharge_plans_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["safety_plan_id"],
            ["safety_plans.id"],
            name=op.f("fk_discharge_plans_safety_plan_id_safety_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["discharge_plans.id"],
            name=op.f("fk_discharge_plans_superseded_by_id_discharge_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_discharge_plans_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_plans")),
    )
    with op.batch_alter_table("discharge_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discharge_plans_attendance_id"), ["attendance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_discharge_plans_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_discharge_plans_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_discharge_plans_young_person_id"), ["young_person_id"], unique=False
        )

    op.create_table(
        "discharge_plan_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discharge_plan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("named_as", sa.JSON(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["discharge_plan_id"],
            ["discharge_plans.id"],
            name=op.f("fk_discharge_plan_recipients_discharge_plan_id_discharge_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_discharge_plan_recipients_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_discharge_plan_recipients_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_plan_recipients")),
        sa.UniqueConstraint(
            "discharge_plan_id",
            "user_id",
            name=op.f("uq_discharge_plan_recipients_discharge_plan_id_user_id"),
        ),
    )
    with op.batch_alter_table("discharge_plan_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discharge_plan_recipients_discharge_plan_id"), ["discharge_plan_id"], unique=False
        )

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


def downgrade() -> None:
    with op.batch_alter_table("follow_up_appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_appointments_status"))
        batch_op.drop_index(batch_op.f("ix_follow_up_appointments_discharge_plan_id"))
        batch_op.drop_index(batch_op.f("ix_follow_up_appointments_at"))

    op.drop_table("follow_up_appointments")
    with op.batch_alter_table("discharge_plan_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discharge_plan_recipients_discharge_plan_id"))

    op.drop_table("discharge_plan_recipients")
    with op.batch_alter_table("discharge_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discharge_plans_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_discharge_plans_status"))
        batch_op.drop_index(batch_op.f("ix_discharge_plans_issued_at"))
        batch_op.drop_index(batch_op.f("ix_discharge_plans_attendance_id"))

    op.drop_table("discharge_plans")
    with op.batch_alter_table("care_plan_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_plan_reviews_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_care_plan_reviews_care_plan_id"))

    op.drop_table("care_plan_reviews")
    with op.batch_alter_table("safety_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_plans_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_safety_plans_status"))

    op.drop_table("safety_plans")
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_plans_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_care_plans_status"))
        batch_op.drop_index(batch_op.f("ix_care_plans_review_date"))

    op.drop_table("care_plans")
