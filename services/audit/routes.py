"""HTTP reading of the audit trail (docs/audit.md). Each read is itself audited (`audit.read`,
`access_log.read`), and so is each refusal (`denied`).

- `GET /api/v1/audit`: the whole trail, searched; the system administrator only (access.may_read_audit_trail).
- `GET /api/v1/young-people/{ref}/access-log`: who viewed or changed one young person's record; an admin or
  a safeguarding lead of a local authority the young person belongs to (access.may_read_access_log).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from services.audit import service as audit
from services.audit.reading import AuditQuery, search
from services.audit.schemas import AuditPage
from services.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.errors import Forbidden
from services.people import access
from services.people.models import YoungPerson

router = APIRouter(tags=["audit"])

LogReadable = Annotated[
    YoungPerson, Depends(young_person_dependency(access.may_read_access_log, "access_log.read"))
]
Limit = Annotated[int, Query(ge=1, le=500)]
Before = Annotated[int | None, Query(ge=1, description="Only events older than this id (`next_before`)")]
Since = Annotated[AwareDatetime | None, Query(description="From this time (inclusive), with its offset")]
Until = Annotated[AwareDatetime | None, Query(description="Before this time (exclusive), with its offset")]
Text = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/api/v1/audit", response_model=AuditPage)
def read_trail(
    session: SessionDep,
    principal: CurrentPrincipal,
    ref: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=64, description="A username")] = None,
    action: Text = None,
    outcome: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    since: Since = None,
    until: Until = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPage:
    """Search the audit trail, newest first: who did what, to which young person, when, how."""
    query = AuditQuery(
        ref=ref,
        actor=actor,
        action=action,
        outcome=outcome,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )
    if not access.may_read_audit_trail(principal):
        audit.record_refusal(
            session,
            actor=principal,
            action="audit.read",
            via=principal.via,
            ref=ref,
            outcome="denied",
            detail=query.filters(),
        )
        raise Forbidden(f"your role ({principal.role}) may not read the audit trail")
    page = search(session, query)
    audit.record(
        session, actor=principal, action="audit.read", via=principal.via, ref=ref, detail=query.filters()
    )
    return page


@router.get("/api/v1/young-people/{ref}/access-log", response_model=AuditPage, tags=["young people"])
def read_access_log(
    session: SessionDep,
    principal: CurrentPrincipal,
    young_person: LogReadable,
    since: Since = None,
    until: Until = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPage:
    """Who viewed or changed this young person's record, newest first (refusals included)."""
    query = AuditQuery(ref=young_person.ref, since=since, until=until, before=before, limit=limit)
    page = search(session, query)
    audit.record(session, actor=principal, action="access_log.read", via=principal.via, ref=young_person.ref)
    return page
