"""Rendering a page: the Jinja2 templates, with what every page needs (the user, the CSRF token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from schemas.settings import get_settings
from services.kernel.clock import utc_minute
from web.deps import CSRF_COOKIE, csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["minute"] = lambda moment: utc_minute(moment) if moment else ""
templates.env.globals["nhsuk_version"] = "10"


def secure_cookies() -> bool:
    return get_settings().liaison_env == "production"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    page = {
        "user": getattr(request.state, "web_user", None),
        "csrf": csrf_token(request),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    new_cookie = getattr(request.state, "new_csrf_cookie", None)
    if new_cookie is not None:
        response.set_cookie(
            CSRF_COOKIE, new_cookie, httponly=True, samesite="lax", secure=secure_cookies(), path="/"
        )
    return response
