"""Typed dependencies: the database session, the caller, and a young person the caller may see."""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.http import HTTPBase
from sqlalchemy.orm import Session

from schemas.enums import Role, Via
from schemas.settings import get_settings
from schemas.settings_parts import address_in
from services.flows import case_access
from services.kernel.db import session_factory, unit_of_work
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.kernel.throttle import Throttle
from services.people import service as people
from services.people.access import CaseFacts
from services.people.models import YoungPerson
from services.staff import service as staff
from services.staff import tokens

bearer = HTTPBearer(auto_error=False, description="The API token `liaison user add` printed")
bot_scheme = HTTPBase(
    scheme="bot",
    scheme_name="TelegramBot",
    auto_error=False,
    description="The Telegram bot's key (`Authorization: Bot <BOT_API_KEY>`), with `X-Telegram-Chat-Id`: "
    "the call is made as the user linked to that chat, with that user's permissions.",
)
chat_header = APIKeyHeader(name="X-Telegram-Chat-Id", auto_error=False, scheme_name="TelegramChat")


def get_session() -> Iterator[Session]:
    """The request's one unit of work (`services.kernel.db.unit_of_work`): the route does its work and
    returns; this commits before the response is sent (scope "function": FastAPI closes the dependency
    when the route returns, not after the body is sent), so a commit that fails is a 5xx (or the 409 of a
    unique key), never a 2xx for data not saved. An exception rolls the work back; a refusal's audit event
    (`audit.record_refusal`) is kept. Deliveries made in it are queued after the commit
    (`services.notifications.dispatch`). Routes never commit."""
    with unit_of_work(session_factory()()) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _unauthorised(detail: str, challenge: str = "Bearer") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, {"WWW-Authenticate": challenge})


def _bot_chat(request: Request, credentials: HTTPAuthorizationCredentials, chat: str | None) -> int:
    """The chat a genuine bot call is made for; 401 for a wrong key, a key used from an address outside
    BOT_API_ALLOWED_PEERS (when set), or a missing chat id."""
    settings = get_settings()
    expected = settings.bot_key()
    given = credentials.credentials.encode()
    if expected is None or not hmac.compare_digest(given, expected.encode()):
        raise _unauthorised("the bot key is not valid", "Bot")
    if settings.bot_allowed_peers and not address_in(client_address(request), settings.bot_allowed_peers):
        raise _unauthorised("the bot key is not accepted from this address", "Bot")
    try:
        return int(chat or "")
    except ValueError:
        raise _unauthorised("X-Telegram-Chat-Id must be the chat's numeric id", "Bot") from None


def get_bot_chat(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bot_scheme)],
    chat: Annotated[str | None, Depends(chat_header)],
) -> int:
    """Only the bot may call this: its key, and the chat it acts in."""
    if credentials is None or credentials.scheme.lower() != "bot":
        raise _unauthorised("only the Telegram bot may call this", "Bot")
    return _bot_chat(request, credentials, chat)


BotChat = Annotated[int, Depends(get_bot_chat)]


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy: uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client is not None else "unknown"


def too_many(wait: float, what: str) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"too many {what} from here: try again in {int(wait) + 1} s",
        {"Retry-After": str(int(wait) + 1)},
    )


def bad_tokens() -> Throttle:
    return Throttle("bearer", limit=get_settings().auth_failures_per_minute, window_seconds=60)


def _bearer_user(session: Session, request: Request, token: str) -> Principal:
    """The token's user; 401 for a bad token, counted against the caller's address; 429 for bad tokens
    once that address has presented AUTH_FAILURES_PER_MINUTE of them. A valid token is never held up: a
    hospital's feed and its staff share one gateway address with whatever else is misconfigured there, and
    an attendance must not wait for another system's stale token (a token is 256 random bits: the limit
    slows a guesser's noise, the length is what makes guessing hopeless)."""
    user = tokens.authenticate(session, token=token)
    if user is not None:
        return staff.principal_of(user)
    throttle, address = bad_tokens(), client_address(request)
    wait = throttle.wait(address)
    if wait is not None:
        raise too_many(wait, "bad tokens")
    throttle.failed(address)
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        tokens.why_refused(session, token=token),
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def get_principal(
    request: Request,
    session: SessionDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bot_scheme)],
    chat: Annotated[str | None, Depends(chat_header)],
) -> Principal:
    if credentials is not None and credentials.scheme.lower() == "bot":
        linked = staff.user_for_chat(session, chat_id=_bot_chat(request, credentials, chat))
        if linked is None:
            raise _unauthorised("this chat is not linked to a liaison account", "Bot")
        return dataclasses.replace(staff.principal_of(linked), via=Via.bot)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorised("a bearer token is required")
    return _bearer_user(session, request, credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only these roles through (function-level authorisation, OWASP API5)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"your role ({principal.role}) may not do this")
        return principal

    return check


def young_person_dependency(
    rule: Callable[[Principal, CaseFacts], bool], action: str
) -> Callable[..., YoungPerson]:
    """Loads `{ref}` and applies the access rule; a refusal is audited (object-level authorisation)."""

    def load(
        session: SessionDep,
        principal: CurrentPrincipal,
        ref: Annotated[str, Path(min_length=1, max_length=32)],
    ) -> YoungPerson:
        young_person = people.get(session, ref=ref)
        case_access.authorise(
            session,
            principal=principal,
            young_person=young_person,
            rule=rule,
            action=action,
            via=principal.via,
        )
        return young_person

    return load
