"""API tokens have a life: `api_tokens.expires_at` and a `name` (what the token is for: `personal`, or the
sending system of an integration account). Tokens issued before this get a full life from the upgrade
(90 days, 365 for an integration account), so that nobody is locked out by the upgrade itself.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSON_DAYS, INTEGRATION_DAYS = 90, 365


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=64), server_default="personal", nullable=False)
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    now = datetime.now(UTC)
    tokens = sa.table("api_tokens", sa.column("id"), sa.column("user_id"), sa.column("expires_at"))
    users = sa.table("users", sa.column("id"), sa.column("role"))
    for role_is_integration, days in ((True, INTEGRATION_DAYS), (False, PERSON_DAYS)):
        expires = now + timedelta(days=days)
        if bind.dialect.name == "sqlite":  # kept as naive UTC there (services.kernel.db.UTCDateTime)
            expires = expires.replace(tzinfo=None)
        owners = sa.select(users.c.id).where(
            users.c.role == "integration" if role_is_integration else users.c.role != "integration"
        )
        bind.execute(
            tokens.update()
            .where(tokens.c.user_id.in_(owners), tokens.c.expires_at.is_(None))
            .values(expires_at=expires)
        )

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")
