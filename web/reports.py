"""The partnership report page (Recommendation 6): one local authority's figures for a period, from the
same `services.flows.report.read` as `GET /api/v1/reports/partnership` (its access rule, its refusal and
read audited, here via=web), drawn as SVG bar charts with a table beside each, and as a CSV download."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from schemas.api.reports import PartnershipReport
from schemas.settings import get_settings
from services.flows import report, rules
from services.kernel.clock import utcnow
from services.kernel.identity import Principal
from web.charts import Chart, bars
from web.deps import SessionDep, WebPrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)
LA = Annotated[str, Query(max_length=16)]
Day = Annotated[str, Query(max_length=10)]


def _period(principal: Principal, la: str, start: str, end: str) -> tuple[str, date, date, list[str]]:
    """The form's choice (the reader's own authority and this month so far when not given), and what is
    wrong with it."""
    today = utcnow().date()
    errors: list[str] = []
    try:
        period_from = date.fromisoformat(start) if start else today.replace(day=1)
        period_to = date.fromisoformat(end) if end else today
    except ValueError:
        return la, today.replace(day=1), today, ["Enter the dates as YYYY-MM-DD"]
    problem = rules.period_problem(period_from, period_to)
    if problem is not None:
        errors.append(problem[0].upper() + problem[1:])
    return la or principal.la_code or "", period_from, period_to, errors


def charts(found: PartnershipReport) -> dict[str, Chart]:
    ack = found.acknowledgement
    misses = found.misses_by_service
    return {
        "median": bars(
            "Median minutes to first acknowledgement, by agency",
            [(k, v.median_minutes) for k, v in ack.items()],
            unit=" min",
        ),
        "p90": bars(
            "90th percentile minutes to first acknowledgement, by agency",
            [(k, v.p90_minutes) for k, v in ack.items()],
            unit=" min",
        ),
        "shares": bars(
            "Share meeting each target, per cent",
            [
                ("Community follow-up within 72 hours", found.follow_up_within_72h.percent),
                ("Discharge plan reached everyone within 24 hours", found.plans_reached_within_24h.percent),
                ("Transfer accepted within target", found.transfers_accepted_in_time.percent),
            ],
            scale=100,
            unit="%",
        ),
        "misses": bars(
            "Missed appointments by service",
            [
                (f"{service}: {kind.replace('_', ' ')}", float(n))
                for service, kinds in misses.items()
                for kind, n in kinds.items()
            ],
        ),
        "closures": bars(
            "Closure steps refused by the guard, by reason",
            [(why.replace("_", " "), float(n)) for why, n in found.closures_refused.items()],
        ),
    }


@router.get("/reports/partnership", response_class=HTMLResponse)
def partnership_page(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    la: LA = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    la_code, period_from, period_to, errors = _period(principal, la, start, end)
    form = {"la": la_code, "from": start or period_from.isoformat(), "to": end or period_to.isoformat()}
    if errors or not la_code:
        errors = errors or ["Enter the local authority's code"]
        return render(
            request, "partnership.html", {"form": form, "errors": errors, "found": None}, status_code=400
        )
    found = report.read(
        session,
        principal=principal,
        la_code=la_code,
        period_from=period_from,
        period_to=period_to,
        settings=get_settings(),
    )
    query = urlencode({"la": la_code, "from": period_from.isoformat(), "to": period_to.isoformat()})
    return render(
        request,
        "partnership.html",
        {
            "form": form,
            "errors": [],
            "found": found,
            "charts": charts(found),
            "csv_link": f"/reports/partnership.csv?{query}",
        },
    )


@router.get("/reports/partnership.csv")
def partnership_csv(
    session: SessionDep,
    principal: WebPrincipal,
    la: Annotated[str, Query(min_length=1, max_length=16)],
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
) -> Response:
    found = report.read(
        session,
        principal=principal,
        la_code=la,
        period_from=period_from,
        period_to=period_to,
        settings=get_settings(),
    )
    return Response(
        report.as_csv(found),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{report.csv_name(found)}"'},
    )
