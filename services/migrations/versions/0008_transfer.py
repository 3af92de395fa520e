"""Cross-border transfers: a move between local authorities opens a transfer with a handover checklist
(`transfers`, `transfer_ticks`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 17:11:24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("from_la", sa.String(length=16), nullable=False),
        sa.Column("to_la", sa.String(length=16), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("acceptance_note", sa.Text(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=True),
        sa.Column("chased", sa.Integer(), nullable=False),
        sa.Column("chased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["users.id"], name=op.f("fk_transfers_accepted_by_id_users")
        ),
        sa.ForeignKeyConstraint(["ended_by_id"], ["users.id"], name=op.f("fk_transfers_ended_by_id_users")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], name=op.f("fk_transfers_opened_by_id_users")),
        sa.ForeignKeyConstraint(
            ["young_person_id"], ["young_people.id"], name=op.f("fk_transfers_young_person_id_young_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfers_young_person_id"), ["young_person_id"], unique=False)

    op.create_table(
        "transfer_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("ticked_by_id", sa.Integer(), nullable=False),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticked_by_id"], ["users.id"], name=op.f("fk_transfer_ticks_ticked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_transfer_ticks_transfer_id_transfers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_ticks")),
        sa.UniqueConstraint("transfer_id", "item", name=op.f("uq_transfer_ticks_transfer_id_item")),
    )
    with op.batch_alter_table("transfer_ticks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_ticks_transfer_id"), ["transfer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transfer_ticks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_ticks_transfer_id"))

    op.drop_table("transfer_ticks")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_young_person_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_status"))

    op.drop_table("transfers")
