"""Shared fixtures. Real peers only: the database at DATABASE_URL (PostgreSQL in CI) or a SQLite file,
Redis at REDIS_URL or the embedded server the run command also uses. Schema comes from the migrations.

Under pytest-xdist (`make test`) each worker has peers of its own: PostgreSQL database `<name>_gw<N>` (made
when missing), Redis database `<db> + N` on REDIS_URL's server, or its own SQLite file and embedded Redis.
The worker's URLs are put in the environment, so the processes tests start (`liaison run`, rq workers, the
bot) use them too."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from runtime import embedded_redis
from schemas.settings import get_settings
from services.kernel.db import close_pooled_connections, dispose_engines
from services.kernel.migrate import upgrade
from services.kernel.redis_conn import forget_clients
from services.notifications.dispatch import forget_deployment

FIXTURES = Path(__file__).parent / "fixtures"
KEEP = "alembic_version"


# Modules whose tests share one set of peers (a module-scoped `liaison run` stack) and run in file order:
# under xdist all of a module's tests go to one worker. Every other test is scheduled on its own.
ONE_WORKER_PER_MODULE = ("tests/e2e/",)


# Tests that take tens of seconds each (a whole `liaison run`, a real bot process, worker processes killed
# and restarted) are handed out first, so that the run ends on short tests rather than on one worker still
# busy with a long one while the others wait. Within a group the order is the files' own.
START_FIRST = (
    "tests/integration/test_chaos.py",
    "tests/integration/browser/",
    "tests/integration/test_outages.py",
    "tests/integration/test_destination_isolation.py",
    "tests/integration/test_schemathesis.py",
    "tests/e2e/",
    "tests/integration/test_stack.py",
    "tests/integration/bot/",
    "tests/integration/test_worker_death.py",
    "tests/integration/test_worker_processes.py",
    "tests/integration/test_telegram_limit.py",
    "tests/integration/test_escalation.py",
    "tests/integration/test_chase_kinds.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def started_late(item: pytest.Item) -> bool:
        return not item.nodeid.startswith(START_FIRST)

    items.sort(key=started_late)  # a stable sort: False (start first) before True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist other than load: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class SharedModulesTogether(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module.startswith(ONE_WORKER_PER_MODULE) else nodeid

    return SharedModulesTogether(config, log)


def worker_index() -> int:
    """This xdist worker's number (gw3 is 3); 0 when the suite runs in one process."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def worker_redis_url(url: str) -> str:
    """REDIS_URL with its database number plus this worker's number (Redis has databases 0 to 15)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base + worker_index()
    if db > 15:
        raise pytest.UsageError(
            f"REDIS_URL names database {base}: worker gw{worker_index()} would need database {db}, "
            "and Redis has 0 to 15. Use a lower database number or fewer workers (TEST_WORKERS=...)."
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


def worker_database_url(url: str) -> str:
    """DATABASE_URL with this worker's own database name (`<name>_gw<N>`) under xdist; made if missing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(7009)"))  # workers copy template1 one at a time
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text("SELECT pg_advisory_unlock(7009)"))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _reset_settings() -> None:
    """Settings are read again. The engines stay (one per URL, keeping their compiled SQL: building it
    again cost every test ~0.1 s), with their pooled connections closed."""
    get_settings.cache_clear()
    close_pooled_connections()
    forget_clients()
    forget_deployment()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        url = worker_redis_url(configured)
        os.environ["REDIS_URL"] = url  # for the processes tests start
        try:
            yield url
        finally:
            os.environ["REDIS_URL"] = configured
        return
    server = embedded_redis.start(tmp_path_factory.mktemp("redis"))
    os.environ["REDIS_URL"] = server.url
    try:
        yield server.url
    finally:
        server.stop()
        os.environ.pop("REDIS_URL", None)


class Database:
    """A migrated database, emptied between tests.

    SQLite: the file is replaced by a copy of the migrated template. PostgreSQL: every table is emptied with
    DELETE and the sequences restarted, with triggers (the audit tables' append-only guards, foreign keys)
    off for that one transaction. TRUNCATE made new files for each of the ~30 tables and their indexes on
    every test, 1.5-2 s on a busy machine against 0.1 s for DELETE of a test's few rows. A role that may not
    turn triggers off (not a superuser) gets TRUNCATE."""

    def __init__(self, url: str, template: Path | None) -> None:
        self.url = url
        self.template = template
        self._tables: list[str] | None = None
        self._superuser = False

    @property
    def is_sqlite(self) -> bool:
        return self.template is not None

    def reset(self) -> None:
        close_pooled_connections()
        if self.template is not None:
            target = Path(self.url.removeprefix("sqlite:///"))
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(self.template, target)
            return
        engine = create_engine(self.url, poolclass=NullPool)
        with engine.begin() as connection:
            if self._tables is None:
                self._tables = list(
                    connection.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                            f"AND tablename != {KEEP!r} ORDER BY tablename"
                        )
                    ).scalars()
                )
                self._superuser = bool(
                    connection.execute(
                        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                    ).scalar()
                )
            names = [f'"{t}"' for t in self._tables]
            if not names:
                pass
            elif self._superuser:
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                for name in names:
                    connection.execute(text(f"DELETE FROM {name}"))
                connection.execute(
                    text(
                        "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = 'public'"
                    )
                )
            else:
                connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    configured = os.environ.get("DATABASE_URL")
    if configured and not configured.startswith("sqlite"):
        url = worker_database_url(get_settings().database_url)  # normalised to the psycopg driver
        os.environ["DATABASE_URL"] = url  # for the processes tests start
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
    if configured:
        os.environ["DATABASE_URL"] = configured
    else:
        os.environ.pop("DATABASE_URL", None)


@pytest.fixture
def fixture_text() -> object:
    def read(name: str) -> str:
        return (FIXTURES / name).read_text()

    return read
