"""The caseload: the young people I may see (`services.flows.caseload`, as `GET /api/v1/young-people`),
searched by ref, NHS number or name, a page at a time. Audited as `young_person.list` with the refs shown."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from schemas.enums import Via
from services.flows import caseload
from services.kernel.audit import service as audit
from web.deps import SessionDep, WebPrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 25


@router.get("/caseload", response_class=HTMLResponse)
def caseload_page(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    total, entries = caseload.search(
        session, principal=principal, text=q, limit=PAGE, offset=(page - 1) * PAGE
    )
    audit.record(
        session,
        actor=principal,
        action="young_person.list",
        via=Via.web,
        detail={"refs": [e.young_person.ref for e in entries], "searched": bool(q.strip())},
    )
    return render(
        request,
        "caseload.html",
        {
            "q": q,
            "entries": entries,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "query_prefix": urlencode({"q": q}) + "&" if q else "",
        },
    )
