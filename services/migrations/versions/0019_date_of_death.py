"""A young person's date of death (`young_people.date_of_death`, nullable): the retention schedule keeps a
deceased child's record for a set time after death rather than to a birthday (docs/retention.md).

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-04 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_of_death", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.drop_column("date_of_death")
