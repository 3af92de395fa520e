"""Typed dependencies: the database session, the caller, and a young person the caller may see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from schemas.enums import Role, Via
from services.db import session_factory
from services.errors import Forbidden
from services.people import service as people
from services.people.access import CaseFacts, Principal
from services.people.models import YoungPerson
from services.staff import service as staff

bearer = HTTPBearer(auto_error=False, description="The API token `liaison user add` printed")


def get_session() -> Iterator[Session]:
    session = session_factory()()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required", {"WWW-Authenticate": "Bearer"}
        )
    user = staff.authenticate(session, token=credentials.credentials)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the token is not valid",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return staff.principal_of(user)


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
        people.authorise(
            session, principal=principal, young_person=young_person, rule=rule, action=action, via=Via.api
        )
        return young_person

    return load
