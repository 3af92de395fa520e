"""`liaison retention report|erase` and `liaison sar`: the retention schedule and subject access, for the
information-governance officer at the server (docs/retention.md). Each writes its audit events (via cli)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from runtime.cli_common import fail
from schemas.enums import Via
from schemas.settings import get_settings
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.errors import DomainError
from services.kernel.migrate import ensure_current
from services.people import service as people
from services.retention import service as retention
from services.retention import subject_access, views

retention_app = typer.Typer(
    help="The retention schedule: what is past it, and erasing it (docs/retention.md)."
)


@retention_app.command("report")
def retention_report(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="A day (YYYY-MM-DD) to plan for: what will be past retention then"),
    ] = None,
) -> None:
    """What is past retention, by ref and category, with counts; prints JSON. Erases nothing."""
    settings = get_settings()
    ensure_current(settings.database_url)
    now = utcnow()
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError as exc:
            raise fail("--as-of must be a day, YYYY-MM-DD") from exc
        now = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    with session_scope() as session:
        found = views.report(session, settings=settings, now=now)
        audit.record(
            session,
            actor=None,
            action="retention.report",
            via=Via.cli,
            detail={"as_of": now.date().isoformat(), "counts": found.to_json()["counts"]},
        )
        typer.echo(json.dumps(found.to_json()))


@retention_app.command("erase")
def retention_erase(
    confirm: Annotated[bool, typer.Option("--confirm", help="Erase: without it nothing is erased")] = False,
) -> None:
    """Erase everything past retention today (never a ref on hold: RETENTION_HOLD_REFS), in one
    transaction, leaving a tombstone audit event for each; prints JSON. Without --confirm, only reports and
    exits 1. Always as of today: a later day is only for `report --as-of`."""
    settings = get_settings()
    ensure_current(settings.database_url)
    if not confirm:
        with session_scope() as session:
            found = views.report(session, settings=settings, now=utcnow())
            typer.echo(json.dumps({"erased": False, **found.to_json()}))
        raise fail("nothing erased: run again with --confirm to erase what is listed")
    with session_scope() as session:
        done = retention.erase(session, settings=settings, now=utcnow(), actor=None, via=Via.cli)
        out = {"erased": True, **done.to_json()}
    typer.echo(json.dumps(out))


def sar(
    ref: str,
    out: Annotated[Path, typer.Option("--out", help="Folder to write REF.json and REF.html into")],
) -> None:
    """A subject access export of everything held about REF: REF.json and REF.html in --out (audited)."""
    ensure_current(get_settings().database_url)
    try:
        with session_scope() as session:
            young_person = people.get(session, ref=ref)
            exported = subject_access.export(session, young_person, now=utcnow())
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{ref}.json").write_text(json.dumps(exported, indent=1, ensure_ascii=False))
            (out / f"{ref}.html").write_text(subject_access.to_html(exported))
            audit.record(
                session,
                actor=None,
                action=subject_access.ACTION,
                via=Via.cli,
                ref=ref,
                detail={"format": "json+html", "rows": subject_access.counts(exported)},
            )
    except DomainError as exc:
        raise fail(exc.detail) from exc
    typer.echo(json.dumps({"ref": ref, "files": [str(out / f"{ref}.json"), str(out / f"{ref}.html")]}))
