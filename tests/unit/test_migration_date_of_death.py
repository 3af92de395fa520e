"""Migration 0019 adds `young_people.date_of_death` in place, with records pointing at the young person (a
batch copy-and-drop of young_people would be refused on SQLite with foreign keys on), and goes down again
keeping every row (SQLite always; PostgreSQL too when DATABASE_URL names one)."""

from __future__ import annotations

import sqlalchemy as sa

from services.kernel.migrate import downgrade, upgrade
from tests.unit.test_migration_notification_events import _insert, url  # noqa: F401 - the fixture


def _columns(url: str) -> tuple[set[str], int]:  # noqa: F811
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("young_people")}
        members = connection.execute(sa.text("SELECT count(*) FROM care_team_members")).scalar_one()
    engine.dispose()
    return columns, int(members)


def test_the_date_of_death_is_added_in_place_and_removed_again(url: str) -> None:  # noqa: F811
    upgrade(url, "0018")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        _insert(connection, "teams", id=1)
        _insert(connection, "users", id=1, team_id=1, role="social_worker", username="jsmith")
        _insert(connection, "young_people", id=1, ref="YP-AAAAA-AAAAA", nhs_number="9990000018")
        _insert(
            connection, "care_team_members", id=1, young_person_id=1, user_id=1, role="lead_social_worker"
        )
    engine.dispose()

    upgrade(url, "0019")
    columns, members = _columns(url)
    assert "date_of_death" in columns and members == 1
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE young_people SET date_of_death = '2026-02-28' WHERE id = 1"))
    engine.dispose()

    downgrade(url, "0018")
    columns, members = _columns(url)
    assert "date_of_death" not in columns and members == 1
