"""HTTP layer for the partnership report (docs/reports.md): one local authority's figures for a period, as
JSON or as CSV (`format=csv`: one row per figure). Figures only, nobody named; reading it is audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from schemas.api.reports import PartnershipReport
from schemas.settings import get_settings
from services.api.deps import CurrentPrincipal, SessionDep
from services.flows import report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


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
    found = report.read(
        session,
        principal=principal,
        la_code=la,
        period_from=period_from,
        period_to=period_to,
        settings=get_settings(),
    )
    if format == "json":
        return found
    return Response(
        report.as_csv(found),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{report.csv_name(found)}"'},
    )
