"""Shared fixtures. Real peers only: the database at DATABASE_URL (PostgreSQL in CI) or a SQLite file,
Redis at REDIS_URL or the embedded server the run command also uses. Schema comes from the migrations."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from schemas.settings import get_settings
from services import embedded_redis
from services.db import dispose_engines
from services.migrate import upgrade
from services.notifications.dispatch import forget_deployment
from services.redis_conn import forget_clients

FIXTURES = Path(__file__).parent / "fixtures"
KEEP = "alembic_version"


def _reset_settings() -> None:
    get_settings.cache_clear()
    dispose_engines()
    forget_clients()
    forget_deployment()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = embedded_redis.start(tmp_path_factory.mktemp("redis"))
    os.environ["REDIS_URL"] = server.url
    try:
        yield server.url
    finally:
        server.stop()
        os.environ.pop("REDIS_URL", None)


class Database:
    """A migrated database, emptied between tests."""

    def __init__(self, url: str, template: Path | None) -> None:
        self.url = url
        self.template = template

    @property
    def is_sqlite(self) -> bool:
        return self.template is not None

    def reset(self) -> None:
        dispose_engines()
        if self.template is not None:
            target = Path(self.url.removeprefix("sqlite:///"))
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(self.template, target)
            return
        engine = create_engine(self.url)
        with engine.begin() as connection:
            tables = connection.execute(
                text(f"SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != {KEEP!r}")
            ).scalars()
            names = ", ".join(f'"{t}"' for t in tables)
            if names:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    configured = os.environ.get("DATABASE_URL")
    if configured and not configured.startswith("sqlite"):
        url = get_settings().database_url  # normalised to the psycopg driver
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(url)
        db = Database(url, None)
    else:
        folder = tmp_path_factory.mktemp("db")
        template = folder / "template.db"
        upgrade(f"sqlite:///{template}")
        dispose_engines()
        url = f"sqlite:///{folder / 'test.db'}"
        db = Database(url, template)
        os.environ["DATABASE_URL"] = url
    _reset_settings()
    yield db
    dispose_engines()


@pytest.fixture
def fixture_text() -> object:
    def read(name: str) -> str:
        return (FIXTURES / name).read_text()

    return read
