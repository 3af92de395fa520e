"""Mounts the web front end on the API's FastAPI app: its pages under `/`, the NHS.UK frontend and htmx
from node_modules (installed by `make install`'s `npm ci`), and its own stylesheet."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from schemas.settings import get_settings
from web import alerts, auth, caseload, chronology, oidc, record, registry
from web.deps import CsrfRefused, SignInNeeded
from web.errors import csrf_refused, sign_in_needed

log = logging.getLogger(__name__)


def assets() -> dict[str, Path]:
    """Where each asset prefix is served from: node_modules (WEB_ASSETS_DIR, else the checkout's)."""
    node_modules = get_settings().web_assets_dir or Path(__file__).resolve().parent.parent / "node_modules"
    return {
        "/assets/nhsuk": node_modules / "nhsuk-frontend" / "dist" / "nhsuk",
        "/assets/htmx": node_modules / "htmx.org" / "dist",
        "/assets/liaison": Path(__file__).resolve().parent / "static",
    }


def install(app: FastAPI) -> None:
    for router in (
        oidc.router,
        auth.router,
        alerts.router,
        caseload.router,
        registry.router,  # before record: /young-people/new is not a ref
        record.router,
        chronology.router,
    ):
        app.include_router(router)
    for prefix, directory in assets().items():
        if not directory.is_dir():
            log.warning("web assets missing at %s: run `make install` (npm ci)", directory)
        app.mount(prefix, StaticFiles(directory=directory, check_dir=False), name=prefix.strip("/"))
    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(CsrfRefused, csrf_refused)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/my-work", status_code=303)
