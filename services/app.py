"""The FastAPI application: routers, error handlers and health checks."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.appointments.routes import router as appointments_router
from services.assessments.fhir_routes import router as fhir_router
from services.assessments.routes import router as assessments_router
from services.attendances.routes import router as attendances_router
from services.closures.routes import router as closures_router
from services.db import get_engine
from services.errors import DomainError
from services.intake.routes import router as intake_router
from services.notifications.routes import router as notifications_router
from services.people.routes import router as people_router
from services.plans.routes import router as plans_router
from services.redis_conn import get_redis
from services.staff.routes import router as staff_router
from services.transfers.routes import router as transfers_router

log = logging.getLogger(__name__)

DESCRIPTION = """
liaison joins up the professionals around a young person in crisis. Hospitals send acute attendances;
the young person's care team is alerted within seconds and acknowledges; everyone works from one
chronology. Alerts and chat carry only the opaque case `ref`.
"""


def create_app() -> FastAPI:
    app = FastAPI(title="liaison", version="0.1.0", description=DESCRIPTION)
    routers = (
        people_router,
        attendances_router,
        intake_router,
        notifications_router,
        staff_router,
        assessments_router,
        closures_router,
        plans_router,
        appointments_router,
        transfers_router,
    )
    for router in (*routers, fhir_router):
        app.include_router(router)

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced on a unique key; the loser is told to retry rather than given a 500.
        log.info("integrity conflict: %s", exc.orig)
        return JSONResponse(
            status_code=status.HTTP_409_CONFLICT,
            content={"detail": "a conflicting change was made at the same moment; try again"},
        )

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
