"""The OpenAPI document says every answer the API gives (issue 13): the refusals raised below the routes
(the guard's 400, 401 and 413, a denial's 403, an unknown ref's 404, a race's 409, a domain rule's 422,
the failure throttle's 429) are declared on each operation they can come from, with the body they have:
`Refusal`, `{"detail": "<why>"}`, or under /fhir/ an OperationOutcome. A 422 is either FastAPI's
validation error (`detail`: an array of {loc, msg, type}) or a domain refusal (`detail`: a string), and
the document says so. `tests/integration/test_schemathesis.py` holds every answer to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

REFUSAL = "#/components/schemas/Refusal"
VALIDATION = "#/components/schemas/HTTPValidationError"
FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_PREFIX = "/api/v1/fhir/"  # its refusals are OperationOutcomes (services.app); a FHIR export's are not
WITH_BODY = {"post", "put", "patch"}

WHY = {
    "400": "A body the API will not parse (nested too deep, a number too long, a lone surrogate)",
    "401": "No credentials, or credentials that are not valid (expired, revoked, unknown)",
    "403": "The caller's role or relationship to the young person does not allow this (audited)",
    "404": "Nothing with this identifier (or nothing the caller may know of)",
    "409": "A conflicting change: the state does not allow this now, or a simultaneous change won",
    "413": "The body is larger than API_MAX_BODY_BYTES",
    "422": "The request is not valid: FastAPI's validation errors, or a domain rule's refusal",
    "429": "Too many failed attempts from this address (or chat) lately: see Retry-After",
}


def _refusal_schema() -> dict[str, Any]:
    return {
        "title": "Refusal",
        "type": "object",
        "properties": {"detail": {"title": "Detail", "type": "string"}},
        "required": ["detail"],
        "description": "Why the request was refused, in words that are safe to show the caller.",
    }


def _codes(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    """The refusals this operation can give, whatever the route itself declares."""
    codes = {"422"}  # a domain rule, or a value the database cannot take (any parameter)
    if operation.get("security") or path.startswith("/api/"):
        codes |= {"401", "403", "429"}
    if "{" in path or operation.get("parameters"):
        codes.add("404")  # a path's identifier, or a filter naming one (?young_person=<ref>)
    if method in WITH_BODY or method == "delete":
        codes.add("409")
    if method in WITH_BODY and path.startswith("/api/"):
        codes |= {"400", "413"}
    return codes


def _content(path: str, code: str) -> dict[str, Any]:
    if path.startswith(FHIR_PREFIX):
        return {FHIR_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}
    if code == "422":
        return {"application/json": {"schema": {"anyOf": [{"$ref": VALIDATION}, {"$ref": REFUSAL}]}}}
    return {"application/json": {"schema": {"$ref": REFUSAL}}}


def _amend(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Refusal"] = _refusal_schema()
    schemas.setdefault(
        "OperationOutcome",
        {
            "title": "OperationOutcome",
            "type": "object",
            "properties": {"resourceType": {"const": "OperationOutcome"}},
        },
    )
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            for code in sorted(_codes(path, method, operation) | {c for c in responses if c.startswith("4")}):
                response = responses.setdefault(code, {"description": WHY.get(code, "Refused")})
                declared = response.get("content") or {}
                media = next(iter(declared), None)
                schema = declared.get(media, {}).get("schema") if media else None
                if code == "422" and schema == {"$ref": VALIDATION} and not path.startswith(FHIR_PREFIX):
                    response["content"] = _content(path, code)
                elif not schema:
                    response["content"] = _content(path, code)


def install(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Replace the app's OpenAPI builder with one that declares every refusal (built once, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            _amend(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return openapi
