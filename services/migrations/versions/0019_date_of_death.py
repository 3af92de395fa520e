"""A young person's date of death (`young_people.date_of_death`, nullable): the retention schedule keeps a
deceased child's record for a set time after death rather than to a birthday (docs/retention.md).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Not a batch on SQLite: to drop a column alembic copies the table, drops young_people and renames the copy,
# and dropping young_people, which every record points at, is refused with foreign keys on (the failure
# tests/unit/test_migration_date_of_death.py shows). SQLite adds and, from 3.35, drops a plain column in
# place.


def upgrade() -> None:
    op.add_column("young_people", sa.Column("date_of_death", sa.Date(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE young_people DROP COLUMN date_of_death")
    else:
        op.drop_column("young_people", "date_of_death")
