"""HTTP layer for API tokens (docs/contract.md, "Tokens"): a user's own, or anyone's for the system
administrator. Listing, issuing and revoking are audited; so is each refusal. A token is never issued
through the bot: it would sit in a Telegram chat."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from schemas.api.staff import TokenCreate, TokenIssued, TokenRead, TokenRevoked
from schemas.enums import Via
from services.api.deps import CurrentPrincipal, SessionDep
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.staff import guards, tokens
from services.staff.models import User

router = APIRouter(prefix="/api/v1/users/{username}/tokens", tags=["staff"])

Username = Annotated[str, Path(min_length=1, max_length=64)]
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _owner(session: SessionDep, principal: Principal, username: str, action: str) -> User:
    return guards.token_owner(session, actor=principal, username=username, action=action)


@router.get("", response_model=list[TokenRead])
def list_tokens(username: Username, session: SessionDep, principal: CurrentPrincipal) -> list[TokenRead]:
    """The user's tokens, newest first, with their state (`active`, `expired`, `revoked`)."""
    user = _owner(session, principal, username, "token.list")
    now = utcnow()
    audit.record(
        session, actor=principal, action="token.list", via=principal.via, detail={"username": username}
    )
    return [tokens.to_read(t, now=now) for t in tokens.of(session, user=user)]


@router.post("", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def issue_token(
    username: Username, body: TokenCreate, session: SessionDep, principal: CurrentPrincipal
) -> TokenIssued:
    """A new token (shown only in this answer), living `days` or as long as the account's role allows."""
    user = _owner(session, principal, username, "token.issued")
    if principal.via == Via.bot:
        audit.record_refusal(
            session, actor=principal, action="token.issued", via=principal.via, detail={"username": username}
        )
        raise Forbidden("a token is never issued through the bot: a chat is not a safe place for it")
    token, secret = tokens.issue(
        session, user=user, actor=principal, via=principal.via, name=body.name, days=body.days
    )
    return TokenIssued(**tokens.to_read(token).model_dump(), token=secret)


@router.post("/revoke", response_model=TokenRevoked)
def revoke_all(username: Username, session: SessionDep, principal: CurrentPrincipal) -> TokenRevoked:
    """Revoke every live token of the user (a lost phone, a leaver): refused at once from then on."""
    user = _owner(session, principal, username, "token.revoked")
    now = utcnow()
    done = tokens.revoke(session, user=user, actor=principal, via=principal.via, now=now)
    return TokenRevoked(revoked=[tokens.to_read(t, now=now) for t in done if t.revoked_at == now], at=now)


@router.post("/{token_id}/revoke", response_model=TokenRead)
def revoke_one(
    username: Username, token_id: TokenId, session: SessionDep, principal: CurrentPrincipal
) -> TokenRead:
    """Revoke one token; revoking it again changes nothing."""
    user = _owner(session, principal, username, "token.revoked")
    now = utcnow()
    [token] = tokens.revoke(
        session, user=user, actor=principal, via=principal.via, token_id=token_id, now=now
    )
    return tokens.to_read(token, now=now)
