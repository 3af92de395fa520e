"""What a form's bad input gets: the API's own validation errors, by field, in words for the page."""

from __future__ import annotations

from pydantic import ValidationError


def field_errors(exc: ValidationError) -> dict[str, str]:
    return {
        str(e["loc"][0]) if e["loc"] else "form": e["msg"].removeprefix("Value error, ") for e in exc.errors()
    }
