"""HTTP layer for the partnership report (docs/reports.md): one local authority's figures for a period, as
JSON or as CSV (`format=csv`: one row per figure). Figures only, nobody named; reading it is audited."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from schemas.api.reports import PartnershipReport
from schemas.settings import get_settings
from services.api.deps import CurrentPrincipal, SessionDep
from services.flows import report
from services.kernel.audit import service as audit
from services.kernel.errors import Forbidden, Invalid
from services.people import access

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

MAX_DAYS = 366


def rows(found: PartnershipReport) -> list[tuple[str, str, str]]:
    """(figure, breakdown, value) rows: what the CSV holds, in the page's order."""
    out: list[tuple[str, str, str]] = [("attendances", "", str(found.attendances))]
    for group, fig in found.acknowledgement.items():
        for name in ("attendances", "acknowledged", "median_minutes", "p90_minutes"):
            value = getattr(fig, name)
            out.append((f"acknowledgement.{name}", group, "" if value is None else str(value)))
    for name in ("follow_up_within_72h", "plans_reached_within_24h", "transfers_accepted_in_time"):
        share = getattr(found, name)
        out += [(f"{name}.met", "", str(share.met)), (f"{name}.of", "", str(share.of))]
        out.append((f"{name}.percent", "", "" if share.percent is None else str(share.percent)))
    out.append(("repeat_attenders", "", str(found.repeat_attenders)))
    for service, kinds in found.misses_by_service.items():
        out += [(f"misses.{kind}", service, str(n)) for kind, n in kinds.items()]
    out += [("closures_refused", why, str(n)) for why, n in found.closures_refused.items()]
    return out


@router.get(
    "/partnership",
    response_model=PartnershipReport,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        403: {"description": "Not a lead or manager of that authority"},
    },
)
def partnership(
    session: SessionDep,
    principal: CurrentPrincipal,
    la: Annotated[str, Query(min_length=1, max_length=16, description="The local authority's code")],
    period_from: Annotated[date, Query(alias="from", description="First day (UTC), inclusive")],
    period_to: Annotated[date, Query(alias="to", description="Last day (UTC), inclusive")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # noqa: A002 - the query's name
) -> PartnershipReport | Response:
    """Recommendation 6: whether practice changes, for one authority and period, from the records."""
    detail = {"la": la, "from": period_from.isoformat(), "to": period_to.isoformat()}
    if not access.may_read_partnership_report(principal, la_code=la):
        audit.record_refusal(
            session, actor=principal, action="report.partnership", via=principal.via, detail=detail
        )
        raise Forbidden(f"only {la}'s safeguarding leads and team managers read its partnership report")
    if period_to < period_from or (period_to - period_from).days >= MAX_DAYS:
        raise Invalid(f"the period runs forward and spans at most {MAX_DAYS} days")
    found = report.build(
        session, la_code=la, period_from=period_from, period_to=period_to, settings=get_settings()
    )
    audit.record(session, actor=principal, action="report.partnership", via=principal.via, detail=detail)
    if format == "json":
        return found
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("figure", "breakdown", "value"))
    writer.writerows(rows(found))
    name = f"partnership-{la}-{period_from.isoformat()}-{period_to.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
