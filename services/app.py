"""The FastAPI application: routers, error handlers and health checks."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from services.api.appointments import router as appointments_router
from services.api.assessments import router as assessments_router
from services.api.assessments_fhir import router as fhir_router
from services.api.attendances import router as attendances_router
from services.api.audit import router as audit_router
from services.api.closures import router as closures_router
from services.api.guards import RequestGuard, SecurityHeaders
from services.api.intake import router as intake_router
from services.api.metrics import router as metrics_router
from services.api.notifications import me_router as my_notifications_router
from services.api.notifications import router as notifications_router
from services.api.openapi import install as install_openapi
from services.api.people import router as people_router
from services.api.plans import router as plans_router
from services.api.reports import router as reports_router
from services.api.staff import router as staff_router
from services.api.subject_access import router as subject_access_router
from services.api.tokens import router as tokens_router
from services.api.transfers import router as transfers_router
from services.api.transfers_handover import router as handover_router
from services.api.users import router as users_router
from services.intake import fhir
from services.kernel.db import get_engine
from services.kernel.errors import DomainError
from services.kernel.logsafe import db_error_summary
from services.kernel.redis_conn import get_redis
from web import app as web_app
from web.errors import domain_error_page, is_web

log = logging.getLogger(__name__)
FHIR_PREFIX = "/api/v1/fhir/"

DESCRIPTION = """
liaison joins up the professionals around a young person in crisis. Hospitals send acute attendances;
the young person's care team is alerted within seconds and acknowledges; everyone works from one
chronology. Alerts and chat carry only the opaque case `ref`.
"""


def _first_line(error: BaseException | None) -> str:
    """The driver's own words for a refused value (PostgreSQL's primary message: no values, no SQL)."""
    diag = getattr(error, "diag", None)
    text = getattr(diag, "message_primary", None) or str(error)
    return text.splitlines()[0] if text else "invalid value"


def _refusal(request: Request, status_code: int, detail: str) -> JSONResponse:
    """A 4xx with a JSON `detail`; under /fhir/ an OperationOutcome, as FHIR clients expect of errors."""
    if request.url.path.startswith(FHIR_PREFIX):
        return JSONResponse(fhir.operation_outcome("error", detail), status_code, media_type=fhir.MEDIA_TYPE)
    return JSONResponse(status_code=status_code, content={"detail": detail})


def create_app() -> FastAPI:
    app = FastAPI(title="liaison", version="0.1.0", description=DESCRIPTION)
    routers = (
        people_router,
        attendances_router,
        intake_router,
        notifications_router,
        my_notifications_router,
        staff_router,
        tokens_router,
        users_router,
        assessments_router,
        closures_router,
        plans_router,
        appointments_router,
        transfers_router,
        handover_router,
        audit_router,
        reports_router,
        metrics_router,
        subject_access_router,
    )
    for router in (*routers, fhir_router):
        app.include_router(router)
    web_app.install(app)  # the web front end: pages under /, the API stays under /api/v1
    install_openapi(app)
    app.add_middleware(RequestGuard)
    app.add_middleware(SecurityHeaders)  # outermost: the guard's own answers carry the headers too

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if is_web(request.url.path):  # a page of the web front end: an HTML page that says why
            return domain_error_page(request, exc)
        return _refusal(request, exc.status_code, exc.detail)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced on a unique key; the loser is told to retry rather than given a 500.
        log.info("integrity conflict: %s", db_error_summary(exc))
        return _refusal(
            request, status.HTTP_409_CONFLICT, "a conflicting change was made at the same moment; try again"
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schema let through: a number beyond its integer column (an id
        # of 2**31 on PostgreSQL), a NUL byte in text. Bad input, so a 422 that says which kind.
        reason = _first_line(exc.orig)
        log.info("value refused by the database: %s", db_error_summary(exc))
        return _refusal(request, 422, f"a value in the request cannot be stored: {reason}")

    def out_of_range(request: Request, error: OverflowError) -> JSONResponse:
        log.info("value out of range: %s", error)
        return _refusal(request, 422, f"a date or number in the request is out of range: {error}")

    @app.exception_handler(OverflowError)
    async def overflow_error(request: Request, exc: OverflowError) -> JSONResponse:
        # SQLite's driver cannot bind an integer past 64 bits (an id of 2**63 in a path).
        return out_of_range(request, exc)

    @app.exception_handler(StatementError)
    async def statement_error(request: Request, exc: StatementError) -> JSONResponse:
        # A value that cannot even be sent to the database: a date whose offset takes it past year 9999
        # or before year 1 in UTC. Anything else is ours, and stays a 500.
        if isinstance(exc.orig, OverflowError):
            return out_of_range(request, exc.orig)
        raise exc

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> JSONResponse:
        """The database and Redis are reachable."""
        checks: dict[str, str] = {}
        try:
            with get_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            get_redis().ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            status_code=status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE,
            content={"status": "ready" if ready else "not ready", "checks": checks},
        )

    return app
