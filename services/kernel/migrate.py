"""Alembic, driven from code: migrations are the only way the schema is made, in tests as well."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from services.kernel.db import engine_for

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def is_current(url: str) -> bool:
    """True when the database is already at the newest revision."""
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    with engine_for(url).connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def ensure_current(url: str) -> None:
    """Apply migrations if needed (every command that touches the database calls this first)."""
    if not is_current(url):
        upgrade(url)
