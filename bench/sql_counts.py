"""Benchmark: SQL statements (and time, in this process) per recorded attendance and per delivery.

Runs the API in this process (FastAPI's TestClient) on a fresh SQLite file, or on DATABASE_URL (an empty
database), with an embedded Redis; counts every statement sent to the database with a SQLAlchemy event
listener:
  - per POST /api/v1/attendances: a first attendance (one alert), a second one that meets the
    repeat-attendance rule (the alert, and the safeguarding lead is told), and the --visits'th one of a
    frequent attender (a week apart; the rule looks back at the earlier ones);
  - per delivery, the worker's `deliver` job run here with a recording transport.

    .venv/bin/python bench/sql_counts.py [--people 30] [--visits 15]

Prints the counts, the statements of the last of each, and the median time of each here.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from stack import synthetic_nhs_numbers, young_person  # noqa: E402


def main() -> int:  # noqa: PLR0915 - one straight script
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--visits", type=int, default=15)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="liaison-sql-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.db'}")

    from services import embedded_redis

    redis = embedded_redis.start(folder)
    os.environ["REDIS_URL"] = redis.url
    try:
        from fastapi.testclient import TestClient
        from sqlalchemy import event, select

        from schemas.api.staff import TeamCreate, UserCreate
        from schemas.enums import Agency, Channel, Role, Via
        from schemas.settings import get_settings
        from services.app import create_app
        from services.db import get_engine, session_scope
        from services.migrate import upgrade
        from services.notifications.models import Delivery
        from services.staff import service as staff
        from worker import jobs
        from worker.channels import registry
        from worker.channels.fake import RecordingTransport

        settings = get_settings()
        upgrade(settings.database_url)
        tokens: dict[str, str] = {}
        with session_scope() as session:
            for code, agency, la in (
                ("B-SG", Agency.social_care, "B"),
                ("B-CSC", Agency.social_care, "B"),
                ("B-ED", Agency.acute_liaison, None),
            ):
                staff.create_team(
                    session,
                    data=TeamCreate(code=code, name=code, agency=agency, la_code=la),
                    actor=None,
                    via=Via.cli,
                )
            for username, role, team in (
                ("lead", Role.safeguarding_lead, "B-SG"),
                ("sw", Role.social_worker, "B-CSC"),
                ("ed", Role.liaison, "B-ED"),
            ):
                created = staff.create_user(
                    session,
                    data=UserCreate(
                        username=username,
                        display_name=username,
                        role=role,
                        team_code=team,
                        email=f"{username}@example.org",
                    ),
                    actor=None,
                    via=Via.cli,
                    link_code_ttl_hours=1,
                )
                tokens[username] = created.token
        lead = {"Authorization": f"Bearer {tokens['lead']}"}
        hospital = {"Authorization": f"Bearer {tokens['ed']}"}
        client = TestClient(create_app())
        numbers = synthetic_nhs_numbers(args.people)
        for number in numbers:
            ref = client.post(
                "/api/v1/young-people",
                headers=lead,
                json=young_person(number),
            ).json()["ref"]
            client.post(
                f"/api/v1/young-people/{ref}/care-team",
                headers=lead,
                json={"username": "sw", "role": "lead_social_worker"},
            ).raise_for_status()

        statements: list[str] = []
        counting = [False]

        @event.listens_for(get_engine(), "before_cursor_execute")
        def _count(*call: Any) -> None:
            if counting[0]:
                statements.append(" ".join(str(call[2]).split())[:100])

        def measured(action: Any) -> tuple[int, float, list[str]]:
            statements.clear()
            counting[0] = True
            started = time.perf_counter()
            action()
            elapsed = time.perf_counter() - started
            counting[0] = False
            return len(statements), elapsed * 1000, list(statements)

        results: dict[str, list[tuple[int, float, list[str]]]] = collections.defaultdict(list)
        labels = {
            1: "attendance (first: one alert)",
            2: "attendance (second: rule met, lead told)",
            args.visits: f"attendance (visit {args.visits} of a frequent attender, a week apart)",
        }
        for visit in range(1, args.visits + 1):
            label = labels.get(visit, "")
            for i, number in enumerate(numbers):
                body = {
                    "nhs_number": number,
                    "arrived_at": (
                        datetime(2026, 1, 1, 9, 25, tzinfo=UTC) + timedelta(weeks=visit)
                    ).isoformat(),
                    "site_code": "RBT",
                    "setting": "emergency_department",
                    "reasons": ["self_harm"],
                    "source": "bench",
                    "source_id": f"V{visit}-{i}",
                }
                result = measured(
                    lambda body=body: client.post(
                        "/api/v1/attendances", headers=hospital, json=body
                    ).raise_for_status()
                )
                if label:
                    results[label].append(result)
        registry.overrides[Channel.email] = RecordingTransport()
        with session_scope() as session:
            delivery_ids = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
        for delivery_id in delivery_ids[:100]:
            results["delivery (worker job, in this process)"].append(
                measured(lambda delivery_id=delivery_id: jobs.deliver(delivery_id))
            )

        db = settings.database_url.split("@")[-1] if "@" in settings.database_url else "SQLite file"
        print(f"database: {db}; {args.people} young people")
        for label, rows in results.items():
            counts = [n for n, _, _ in rows]
            print(
                f"{label}: {statistics.median(counts):g} SQL statements (min {min(counts)}, max {max(counts)}); "
                f"median {statistics.median(ms for _, ms, _ in rows):.1f} ms here, n={len(rows)}"
            )
            for statement, times in collections.Counter(rows[-1][2]).most_common():
                print(f"    {times:2d} x {statement}")
    finally:
        redis.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
