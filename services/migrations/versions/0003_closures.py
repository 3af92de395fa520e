"""Closures: a service's proposal to end its involvement, the care team's answers and the decision
(the closure guard).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 16:51:41.279749
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("member_role", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consultation_ends", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_closures_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_closures_member_id_users")),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_closures_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"], ["young_people.id"], name=op.f("fk_closures_young_person_id_young_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")),
    )
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closures_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_closures_young_person_id"), ["young_person_id"], unique=False)

    op.create_table(
        "closure_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closure_id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closure_id"], ["closures.id"], name=op.f("fk_closure_responses_closure_id_closures")
        ),
        sa.ForeignKeyConstraint(
            ["responder_id"], ["users.id"], name=op.f("fk_closure_responses_responder_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_responses")),
        sa.UniqueConstraint(
            "closure_id", "responder_id", name=op.f("uq_closure_responses_closure_id_responder_id")
        ),
    )
    with op.batch_alter_table("closure_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closure_responses_closure_id"), ["closure_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("closure_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closure_responses_closure_id"))

    op.drop_table("closure_responses")
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closures_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_closures_status"))

    op.drop_table("closures")
