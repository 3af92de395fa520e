"""The retention schedule over the real database, with time travel (issue 11.5): `liaison retention report`
lists what is past retention by ref and category with counts (`--as-of` plans ahead);
`liaison retention erase` erases only with --confirm, in one transaction, never a ref on hold, and leaves
identifiers-free tombstones in an audit trail whose hash chain still verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Date, DateTime, func, select, update
from typer.testing import CliRunner

from runtime.cli import app as cli
from schemas.enums import Role, Via
from schemas.settings import get_settings
from services.intake.models import InboundMessage
from services.kernel.db import UTCDateTime, session_scope
from services.models import Base
from services.people.models import YoungPerson
from services.retention import holdings
from services.retention import service as retention
from services.retention.rules import anniversary
from services.staff.models import ApiToken, User
from tests.conftest import _reset_settings
from tests.integration.conftest import YOUNG_PERSON, Case, World, attendance, audit_events
from tests.integration.test_plans import CARE_PLAN

runner = CliRunner()
LONG_AGO = datetime(2010, 1, 4, 10, 0, tzinfo=UTC)
OLD = YOUNG_PERSON | {
    "nhs_number": "9990000026",
    "given_name": "Robin",
    "family_name": "Oldperson",
    "date_of_birth": "1995-07-21",
}


def _backdate(ref: str, to: datetime) -> None:
    """Time travel: every date and time on the young person's rows (but the birth date) is set to `to`."""
    with session_scope() as session:
        young_person_id = session.scalar(select(YoungPerson.id).where(YoungPerson.ref == ref))
        assert young_person_id is not None
        held = holdings.walk(session, young_person_id=young_person_id)
        for table in holdings.tables():
            ids = held.ids.get(table.name)
            values: dict[str, Any] = {}
            for column in table.columns:
                if column.name in ("date_of_birth", "date_of_death"):
                    continue
                if isinstance(column.type, UTCDateTime | DateTime):
                    values[column.name] = to
                elif isinstance(column.type, Date):
                    values[column.name] = to.date()
            if ids and values:
                session.execute(update(table).where(holdings.key(table).in_(ids)).values(**values))


@pytest.fixture
def old_ref(client: TestClient, world: World, case: Case) -> str:
    """A young person last seen in January 2010, 25 in July 2020: past retention (the other one is not)."""
    world.team("RBT-ED", la=None)
    feed = world.user("edsys", role=Role.integration, team="RBT-ED")
    created = client.post("/api/v1/young-people", json=OLD, headers=case.lead.headers)
    assert created.status_code == 201, created.text
    ref = str(created.json()["ref"])
    added = client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "jsmith", "role": "lead_social_worker"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201
    visit = attendance("V0009", nhs_number=OLD["nhs_number"])
    assert client.post("/api/v1/attendances", json=visit, headers=feed.headers).status_code == 202
    assert client.post("/api/v1/attendances", json=attendance(), headers=feed.headers).status_code == 202
    assert client.get(f"/api/v1/young-people/{ref}", headers=case.social_worker.headers).status_code == 200
    for method in (client.post, client.put):  # two versions: the second points at the first
        saved = method(
            f"/api/v1/young-people/{ref}/care-plan", json=CARE_PLAN, headers=case.social_worker.headers
        )
        assert saved.status_code in (200, 201), saved.text
    _backdate(ref, LONG_AGO)
    return ref


def _invoke(*args: str) -> tuple[int, dict[str, Any]]:
    done = runner.invoke(cli, list(args))
    return done.exit_code, json.loads(done.stdout.strip().splitlines()[-1])


def _rows_of(young_person_id: int) -> dict[str, int]:
    """Rows in every table with a foreign key to young_people, for this id (walking the metadata)."""
    found = {}
    with session_scope() as session:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table.name == "young_people":
                    count = session.scalar(select(func.count()).where(fk.parent == young_person_id))
                    found[f"{table.name}.{fk.parent.name}"] = int(count or 0)
        found["young_people"] = int(
            session.scalar(select(func.count()).where(YoungPerson.id == young_person_id)) or 0
        )
    return found


def _old_sign_in_and_intake_rows() -> None:
    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == "jsmith"))
        assert user is not None
        session.add(
            ApiToken(
                user_id=user.id, token_hash="0" * 64, created_at=LONG_AGO, expires_at=LONG_AGO, name="old"
            )
        )
        for control_id, at in (("OLD1", LONG_AGO), ("NEW1", datetime.now(UTC))):
            session.add(
                InboundMessage(
                    facility="RBT",
                    control_id=control_id,
                    event="ADT^A04",
                    outcome="not_registered",
                    ack_code="AE",
                    via="mllp",
                    received_at=at,
                )
            )


def test_the_report_lists_what_is_past_retention_by_ref_and_category_and_plans_ahead(
    case: Case, old_ref: str
) -> None:
    _old_sign_in_and_intake_rows()
    code, report = _invoke("retention", "report")
    assert code == 0
    assert [(r["ref"], r["category"], r["basis"]) for r in report["records"]] == [
        (old_ref, "young_person_record", "age")
    ]
    rows = report["records"][0]["rows"]
    assert rows["young_people"] == 1 and rows["attendances"] == 1 and rows["care_team_members"] == 1
    assert rows["notifications"] >= 1 and rows["chronology_entries"] >= 1 and rows["care_plans"] == 2
    assert report["counts"] | {"audit_trail": 0} == {
        "young_person_record": 1,
        "held": 0,
        "unlinked_intake": 1,
        "expired_tokens": 1,
        "audit_trail": 0,
    }
    assert "Robin" not in json.dumps(report) and "9990000026" not in json.dumps(report)

    # Planning ahead: the other young person (born 2005, seen today) is kept 8 years after today.
    last_day = anniversary(datetime.now(UTC).date(), 8)
    _, on_the_day = _invoke("retention", "report", "--as-of", last_day.isoformat())
    _, day_after = _invoke("retention", "report", "--as-of", (last_day + timedelta(days=1)).isoformat())
    assert case.ref not in {r["ref"] for r in on_the_day["records"]}
    assert (case.ref, "last_contact") in {(r["ref"], r["basis"]) for r in day_after["records"]}
    assert audit_events(action="retention.report")[0].detail["counts"]["young_person_record"] == 1


def test_erasure_needs_confirmation_erases_everything_of_the_record_and_leaves_a_tombstone(
    case: Case, old_ref: str
) -> None:
    _old_sign_in_and_intake_rows()
    with session_scope() as session:
        old_id = session.scalar(select(YoungPerson.id).where(YoungPerson.ref == old_ref))
        kept_id = session.scalar(select(YoungPerson.id).where(YoungPerson.ref == case.ref))
    assert old_id is not None and kept_id is not None
    before_old, before_kept = _rows_of(old_id), _rows_of(kept_id)
    assert before_old["young_people"] == 1 and before_old["attendances.young_person_id"] == 1
    events_about = len(audit_events(young_person_ref=old_ref))
    assert runner.invoke(cli, ["audit", "seal"]).exit_code == 0

    code, unconfirmed = _invoke("retention", "erase")
    assert code == 1 and unconfirmed["erased"] is False
    assert _rows_of(old_id) == before_old  # nothing erased without --confirm
    ahead = runner.invoke(cli, ["retention", "erase", "--confirm", "--as-of", "2100-01-01"])
    assert ahead.exit_code == 2 and _rows_of(old_id) == before_old  # erasure is never for a later day

    code, done = _invoke("retention", "erase", "--confirm")
    assert code == 0 and done["erased"] is True
    assert set(_rows_of(old_id).values()) == {0}  # every table with a young_people key: nothing left
    assert _rows_of(kept_id) == before_kept  # the young person still in retention is untouched
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.name == "old")) == 0
        assert session.scalars(select(InboundMessage.control_id)).all() == ["NEW1"]

    tombstones = audit_events(action="retention.erased")
    assert [(e.young_person_ref, e.detail["category"]) for e in tombstones] == [
        (old_ref, "young_person_record"),
        (None, "unlinked_intake"),
        (None, "expired_tokens"),
    ]
    assert tombstones[0].detail["rows"]["attendances"] == 1 and tombstones[1].detail["count"] == 1
    text = json.dumps([e.detail for e in tombstones])
    for identifier in ("Robin", "Oldperson", "9990000026", "1995", "2020"):
        assert identifier not in text
    # The trail about the erased ref stays whole (it never held personal data) and the chain verifies.
    assert len(audit_events(young_person_ref=old_ref)) == events_about + 1
    assert runner.invoke(cli, ["audit", "seal"]).exit_code == 0
    code, verified = _invoke("audit", "verify")
    assert code == 0 and verified["ok"] is True
    assert _invoke("retention", "report")[1]["records"] == []


def test_a_ref_on_hold_is_reported_as_held_and_never_erased(
    case: Case, old_ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETENTION_HOLD_REFS", f"YP-OTHER1-XXXXX, {old_ref}")
    _reset_settings()
    _, report = _invoke("retention", "report")
    assert [(r["ref"], r["on_hold"]) for r in report["records"]] == [(old_ref, True)]
    assert report["counts"]["young_person_record"] == 0 and report["counts"]["held"] == 1
    code, done = _invoke("retention", "erase", "--confirm")
    assert code == 0
    with session_scope() as session:
        assert session.scalar(select(func.count()).where(YoungPerson.ref == old_ref)) == 1
    assert not audit_events(action="retention.erased", young_person_ref=old_ref)


def test_a_date_of_death_is_recorded_and_read_back(client: TestClient, case: Case) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    changed = client.patch(base, json={"date_of_death": "2026-02-28"}, headers=case.lead.headers)
    assert changed.status_code == 200, changed.text
    assert client.get(base, headers=case.lead.headers).json()["date_of_death"] == "2026-02-28"
    future = client.patch(base, json={"date_of_death": "2999-01-01"}, headers=case.lead.headers)
    assert future.status_code == 422


def test_erasure_is_one_transaction_with_the_work_that_calls_it(case: Case, old_ref: str) -> None:
    """The command never commits: a failure after it (here, the caller's own) leaves every row in place."""
    with session_scope() as session:
        old_id = session.scalar(select(YoungPerson.id).where(YoungPerson.ref == old_ref))
    assert old_id is not None
    before = _rows_of(old_id)
    with pytest.raises(RuntimeError), session_scope() as session:
        done = retention.erase(
            session, settings=get_settings(), now=datetime.now(UTC), actor=None, via=Via.cli
        )
        assert [r.ref for r in done.records] == [old_ref]
        raise RuntimeError("the caller fails after the erasure")
    assert _rows_of(old_id) == before
    assert not audit_events(action="retention.erased")
