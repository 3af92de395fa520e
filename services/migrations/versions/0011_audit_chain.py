"""The audit trail's hash chain: `audit_seals` (append-only, like `audit_events`), and an index on
`audit_events.actor_username` for information governance reading who did what.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit seals are append-only"
GUARDS = {
    "sqlite": [
        f"CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
        "CREATE TRIGGER audit_seals_no_change BEFORE UPDATE OR DELETE ON audit_seals "
        "FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only()",
    ],
}
GUARDS_DROP = {
    "sqlite": ["DROP TRIGGER audit_seals_no_update", "DROP TRIGGER audit_seals_no_delete"],
    "postgresql": [
        "DROP TRIGGER audit_seals_no_change ON audit_seals",
        "DROP FUNCTION audit_seals_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "audit_seals",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["audit_events.id"], name=op.f("fk_audit_seals_event_id_audit_events")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_seals")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_seals_event_id")),
    )
    # not batch mode: on SQLite that may copy the table, and the copy would lose its append-only triggers
    op.create_index(op.f("ix_audit_events_actor_username"), "audit_events", ["actor_username"], unique=False)
    for statement in GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in GUARDS_DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_index(op.f("ix_audit_events_actor_username"), table_name="audit_events")
    op.drop_table("audit_seals")
