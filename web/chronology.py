"""The chronology page: every event in time order, filtered by kind, agency and date, printable, and
exported as CSV or JSON (the same rows). Each read or export is audited as `chronology.read`, via=web,
with its format and filters; a refusal is audited by `case_access.authorise`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from schemas.enums import Via
from services.flows import chronology
from services.kernel.audit import service as audit
from services.kernel.identity import Principal
from web.deps import SessionDep, WebPrincipal
from web.record import Ref, viewable
from web.templating import render

router = APIRouter(include_in_schema=False)
Many = Annotated[list[str], Query(max_length=64)]
Day = Annotated[str, Query(max_length=10)]


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _read(
    session: Session,
    principal: Principal,
    ref: str,
    kind: list[str],
    agency: list[str],
    since: str,
    until: str,
    fmt: str,
) -> tuple[str, chronology.Filtered, dict[str, Any]]:
    young_person = viewable(session, principal, ref, "chronology.read")
    filters = {"kind": sorted(set(kind)), "agency": sorted(set(agency)), "from": since, "to": until}
    found = chronology.read(
        session,
        young_person_id=young_person.id,
        kinds=frozenset(kind),
        agencies=frozenset(agency),
        since=_day(since),
        until=_day(until),
    )
    audit.record(
        session,
        actor=principal,
        action="chronology.read",
        via=Via.web,
        ref=young_person.ref,
        detail={"format": fmt, **{k: v for k, v in filters.items() if v}},
    )
    return young_person.ref, found, filters


def _event(row: chronology.Row) -> dict[str, Any]:
    e = row.entry
    return {
        "at": e.at.isoformat(),
        "kind": e.kind,
        "agency": row.agency,
        "summary": e.summary,
        "detail": e.detail,
    }


@router.get("/young-people/{ref}/chronology", response_class=HTMLResponse)
def chronology_page(
    request: Request,
    ref: Ref,
    session: SessionDep,
    principal: WebPrincipal,
    kind: Many = [],  # noqa: B006 - FastAPI copies query defaults
    agency: Many = [],  # noqa: B006
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    ref, found, filters = _read(session, principal, ref, kind, agency, since, until, "html")
    query = urlencode(
        [("kind", k) for k in filters["kind"]]
        + [("agency", a) for a in filters["agency"]]
        + [(k, filters[k]) for k in ("from", "to") if filters[k]]
    )
    bad_dates = [name for name, value in (("from", since), ("to", until)) if value and _day(value) is None]
    return render(
        request,
        "chronology.html",
        {"ref": ref, "found": found, "filters": filters, "query": query, "bad_dates": bad_dates},
    )


@router.get("/young-people/{ref}/chronology.csv")
def chronology_csv(
    ref: Ref,
    session: SessionDep,
    principal: WebPrincipal,
    kind: Many = [],  # noqa: B006
    agency: Many = [],  # noqa: B006
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    ref, found, _ = _read(session, principal, ref, kind, agency, since, until, "csv")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "kind", "agency", "summary", "detail"])
    for row in found.rows:
        event = _event(row)
        writer.writerow(
            [
                event["at"],
                event["kind"],
                event["agency"] or "",
                _no_formula(event["summary"]),
                json.dumps(event["detail"], sort_keys=True),
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="chronology-{ref}.csv"'},
    )


def _no_formula(text: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ as a formula (CSV injection): quote it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@router.get("/young-people/{ref}/chronology.json")
def chronology_json(
    ref: Ref,
    session: SessionDep,
    principal: WebPrincipal,
    kind: Many = [],  # noqa: B006
    agency: Many = [],  # noqa: B006
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    ref, found, filters = _read(session, principal, ref, kind, agency, since, until, "json")
    body = {"ref": ref, "filters": filters, "events": [_event(r) for r in found.rows]}
    return Response(
        json.dumps(body, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="chronology-{ref}.json"'},
    )
