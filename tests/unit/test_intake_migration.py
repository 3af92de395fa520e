"""Migration 0003_intake upgrades and downgrades cleanly (SQLite here; PostgreSQL in the integration run),
and the models match the migrated schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from services.migrate import downgrade, upgrade
from services.models import Base


def test_0003_intake_upgrades_downgrades_and_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert "inbound_messages" in inspect(engine).get_table_names()

    downgrade(url, "0002")
    inspector = inspect(create_engine(url))
    assert "inbound_messages" not in inspector.get_table_names()
    assert "ended_at" not in {c["name"] for c in inspector.get_columns("attendances")}
    upgrade(url)
    assert "cancelled_at" in {c["name"] for c in inspect(create_engine(url)).get_columns("attendances")}
    engine.dispose()
