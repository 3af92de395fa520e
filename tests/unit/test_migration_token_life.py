"""Migration 0017 gives every token issued before it a name and a full life from the upgrade (a person's 90
days, an integration account's 365), so the upgrade itself locks nobody out; and goes down again (SQLite
always; PostgreSQL too when DATABASE_URL names one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.kernel.migrate import downgrade, upgrade
from tests.unit.test_migration_notification_events import _insert, url  # noqa: F401 - the fixture

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_tokens_issued_before_get_a_full_life_by_role_and_the_name_personal(url: str) -> None:  # noqa: F811
    upgrade(url, "0015")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        _insert(connection, "teams", id=1)
        _insert(connection, "users", id=1, team_id=1, role="social_worker", username="jsmith")
        _insert(connection, "users", id=2, team_id=1, role="integration", username="rbt")
        _insert(connection, "api_tokens", id=1, user_id=1, token_hash="a" * 64, created_at=T0)
        _insert(connection, "api_tokens", id=2, user_id=2, token_hash="b" * 64, created_at=T0)
    engine.dispose()

    before = datetime.now(UTC)
    upgrade(url, "0017")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, name, expires_at FROM api_tokens ORDER BY id")).all()
    engine.dispose()
    lives = {}
    for id_, name, expires_at in rows:
        assert name == "personal"
        at = expires_at if isinstance(expires_at, datetime) else datetime.fromisoformat(expires_at)
        lives[id_] = (at if at.tzinfo else at.replace(tzinfo=UTC)) - before
    assert timedelta(days=90) <= lives[1] < timedelta(days=90, minutes=5)
    assert timedelta(days=365) <= lives[2] < timedelta(days=365, minutes=5)

    downgrade(url, "0015")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("api_tokens")}
    engine.dispose()
    assert "expires_at" not in columns and "name" not in columns
