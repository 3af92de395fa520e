"""Every migration goes up and down cleanly, one step at a time, and the head matches the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from services.db import dispose_engines
from services.migrate import alembic_config, downgrade, upgrade
from services.models import Base

# A table a migration folded into another comes back when it is downgraded: the only tables a step down
# may add.
UNFOLDED = {"0013": {"follow_up_appointments"}}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migrations_form_one_line_and_the_head_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    assert len(ScriptDirectory.from_config(alembic_config(url)).get_heads()) == 1  # one line, no branches
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()
    assert set(Base.metadata.tables) == _tables(url)
    dispose_engines()


def test_each_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    script = ScriptDirectory.from_config(alembic_config(url))
    upgrade(url)
    at_head = _tables(url)
    earlier = at_head
    for revision in script.walk_revisions():  # newest first: step down one at a time
        down = revision.down_revision
        downgrade(url, down if isinstance(down, str) else "base")
        later = _tables(url)
        assert later - UNFOLDED.get(revision.revision, set()) <= earlier, revision.revision
        earlier = later
    assert earlier == set()
    upgrade(url)
    assert _tables(url) == at_head
    dispose_engines()
