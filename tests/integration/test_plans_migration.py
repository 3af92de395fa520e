"""The plans migration downgrades cleanly and upgrades again (on a throwaway SQLite file)."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from services.db import dispose_engines
from services.migrate import alembic_config, downgrade, upgrade

PLAN_TABLES = {
    "care_plans",
    "care_plan_reviews",
    "safety_plans",
    "discharge_plans",
    "follow_up_appointments",
    "discharge_plan_recipients",
}


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_plans_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    upgrade(url)
    assert PLAN_TABLES <= tables(url)
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision("0003_plans").down_revision
    assert isinstance(before, str)
    downgrade(url, before)
    left = tables(url)
    assert not PLAN_TABLES & left and "notifications" in left
    upgrade(url)
    assert PLAN_TABLES <= tables(url)
    dispose_engines()
