"""What every API request with a body passes before a route sees it (an ASGI middleware, so nothing has
read the body yet): without credentials at all it is answered 401 unread (every /api/v1 route needs them);
a body larger than `API_MAX_BODY_BYTES` is answered 413, unread when its Content-Length says so, else as
soon as the bytes do; a JSON body liaison would choke on (`services.kernel.safejson`: too deep, an
enormous integer, a lone surrogate) is answered 400. Under /api/v1/fhir/ the answers are
OperationOutcomes. HL7 v2 over HTTP keeps its own limit and answer (an ACK): only the credentials check
applies to it."""

from __future__ import annotations

import json
from email.message import Message

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from schemas.settings import get_settings
from services.intake import fhir
from services.kernel import safejson

API_PREFIX = "/api/"
FHIR_PREFIX = "/api/v1/fhir/"
HL7_PATH = "/api/v1/hl7/v2"
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class TooLarge(Exception):
    pass


def _is_json(content_type: str | None) -> bool:
    """Would FastAPI read this body as JSON (no content type, application/json or application/*+json)?"""
    if not content_type:
        return True
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def _answer(send: Send, path: str, status: int, detail: str, headers: dict[str, str]) -> None:
    if path.startswith(FHIR_PREFIX):
        body, media_type = fhir.operation_outcome("error", detail), fhir.MEDIA_TYPE
    else:
        body, media_type = {"detail": detail}, "application/json"
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", media_type.encode()),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith(API_PREFIX)
            or scope["method"] not in WITH_BODY
        ):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if "authorization" not in headers:  # every /api/v1 route needs credentials: the body is not read
            await _answer(send, path, 401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
            return
        if path == HL7_PATH:
            await self.app(scope, receive, send)
            return
        limit = get_settings().api_max_body_bytes
        too_large = f"the body is larger than {limit} bytes"
        try:
            declared = int(headers.get("content-length", "0"))
        except ValueError:
            declared = 0
        if declared > limit:
            await _answer(send, path, 413, too_large, {})
            return
        try:
            body = await _read(receive, limit)
        except TooLarge:
            await _answer(send, path, 413, too_large, {})
            return
        # The FHIR routes read their bodies with safejson themselves (and audit what they refuse).
        if body and not path.startswith(FHIR_PREFIX) and _is_json(headers.get("content-type")):
            try:
                safejson.loads(body)
            except safejson.NotJson:
                pass  # broken JSON: FastAPI answers it (422, saying where it broke)
            except safejson.UnsafeJson as unsafe:
                await _answer(send, path, 400, str(unsafe), {})
                return
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> AsgiMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# Every answer may carry a young person's data (and an error may quote it): no cache keeps it, no browser
# guesses its type or frames it, no link out of it carries its address.
SECURITY_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (a route's own Cache-Control or CSP, e.g. /docs', is
    left as it is)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
