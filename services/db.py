"""Engine, sessions and column types. SQLite and PostgreSQL are both supported."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from schemas.settings import get_settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware datetimes, on SQLite too (which keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    """An engine tuned for the dialect: SQLite gets foreign keys, WAL and a busy timeout.

    Statement parameters are hidden from logs and from database errors' text: they are the young people's
    data (NHS numbers, names, clinical notes), and an error logged anywhere must not carry them."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_recycle=1800, hide_parameters=True
    )


_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}


def engine_for(url: str) -> Engine:
    """One engine per URL for the life of the process."""
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def session_factory() -> sessionmaker[Session]:
    url = get_settings().database_url
    if url not in _factories:
        _factories[url] = sessionmaker(bind=engine_for(url), expire_on_commit=False)
    return _factories[url]


KEPT_ON_ROLLBACK = "liaison.kept_on_rollback"


def keep_on_rollback(session: Session, write: Callable[[Session], object]) -> None:
    """Call `write(session)` now, and again in a transaction of its own if this unit of work rolls back:
    for what must be kept although the work it describes is not (a refusal's audit event). Only the owner
    of the unit of work (`unit_of_work`) writes it again; a commit forgets it."""
    write(session)
    session.info.setdefault(KEPT_ON_ROLLBACK, []).append(write)


@event.listens_for(Session, "after_commit")
def _forget_kept(session: Session) -> None:
    session.info.pop(KEPT_ON_ROLLBACK, None)


def _write_kept(session: Session) -> None:
    kept: list[Callable[[Session], object]] = session.info.pop(KEPT_ON_ROLLBACK, [])
    if not kept:
        return
    try:
        for write in kept:
            write(session)
        session.commit()
    except Exception:  # noqa: BLE001 - the work's own error is the one to raise; this one is logged
        log.exception("could not keep %s record(s) after a rollback", len(kept))
        session.rollback()


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """The one owner of a session's commit: commit on success; on an exception roll the work back, write
    again in a transaction of its own what `keep_on_rollback` kept, and raise. Closes the session."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        _write_kept(session)
        raise
    finally:
        session.close()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work for jobs and commands: commit on success, roll back on error."""
    with unit_of_work(session_factory()()) as session:
        yield session


def _forget_pooled_connections_in_child() -> None:
    # A forked process (an rq work horse) must not share its parent's sockets. Dropping the pool without
    # closing keeps the parent's connections intact and the engine's warmed dialect state, so a job pays
    # for one new connection (~8 ms on PostgreSQL) rather than a cold engine (~100 ms).
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pooled_connections_in_child)


def close_pooled_connections() -> None:
    """Close every pooled connection but keep the engines (and their compiled SQL): the next checkout
    connects afresh. For a long-lived worker after a job was interrupted mid-statement."""
    for engine in _engines.values():
        engine.dispose()


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (after fork, or when settings change)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()
