"""The web front end's answers to refusals: HTML pages, not the API's JSON."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.kernel.errors import DomainError
from web.deps import SignInNeeded
from web.templating import render

HEADINGS = {403: "You cannot see this", 404: "Page not found", 409: "This cannot be done now"}


def is_web(path: str) -> bool:
    return not (path.startswith("/api/") or path in ("/healthz", "/readyz", "/docs", "/openapi.json"))


def domain_error_page(request: Request, exc: DomainError) -> Response:
    heading = HEADINGS.get(exc.status_code, "There is a problem")
    return render(
        request,
        "error.html",
        {"heading": heading, "detail": exc.detail, "status_code": exc.status_code},
        status_code=exc.status_code,
    )


async def sign_in_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    return RedirectResponse(f"/sign-in?next={quote(exc.next_path, safe='/')}", status_code=303)


async def csrf_refused(request: Request, exc: Exception) -> Response:
    return render(
        request,
        "error.html",
        {
            "heading": "This form has expired",
            "detail": "Go back, reload the page and try again.",
            "status_code": 400,
        },
        status_code=403,
    )
