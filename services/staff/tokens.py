"""API tokens with a life: issued with an expiry, listed, revoked. Issue and revocation are audited (the
token itself never is: only its digest is kept, and the audit names the token by id and name)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.staff import TokenRead
from schemas.enums import Role, Via
from schemas.settings import get_settings
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.errors import Invalid, NotFound
from services.kernel.identity import Principal
from services.kernel.security import digest, new_api_token
from services.staff import rules
from services.staff.models import ApiToken, User


def issue(
    session: Session,
    *,
    user: User,
    actor: Principal | None,
    via: Via,
    name: str = "personal",
    days: int | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new bearer token for `user`, living as long as asked and the role allows; only its digest is kept."""
    at = now or utcnow()
    settings = get_settings()
    try:
        life = rules.token_life(
            Role(user.role),
            days,
            person_days=settings.api_token_days,
            integration_days=settings.integration_token_days,
        )
    except rules.TokenLifeRefused as exc:
        raise Invalid(str(exc)) from None
    secret = new_api_token()
    token = ApiToken(
        user_id=user.id, token_hash=digest(secret), name=name, created_at=at, expires_at=at + life
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.issued",
        via=via,
        detail={
            "username": user.username,
            "token_id": token.id,
            "name": name,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, secret


def to_read(token: ApiToken, *, now: datetime | None = None) -> TokenRead:
    return TokenRead(
        id=token.id,
        name=token.name,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        status=rules.token_status(
            expires_at=token.expires_at, revoked_at=token.revoked_at, now=now or utcnow()
        ),
    )


def of(session: Session, *, user: User) -> list[ApiToken]:
    """Every token `user` was issued, newest first (revoked and expired ones too: they are the history)."""
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )


def revoke(
    session: Session,
    *,
    user: User,
    actor: Principal | None,
    via: Via,
    token_id: int | None = None,
    now: datetime | None = None,
) -> list[ApiToken]:
    """Revoke one of `user`'s tokens (`token_id`), or every one still live (`None`); refused at once from
    then on. Revoking a token already revoked changes nothing and is not audited again."""
    at = now or utcnow()
    owned = of(session, user=user)
    if token_id is not None:
        owned = [t for t in owned if t.id == token_id]
        if not owned:
            raise NotFound(f"{user.username} has no token {token_id}")
    live = [t for t in owned if t.revoked_at is None]
    if token_id is None and not live:
        raise Invalid(f"{user.username} has no live token to revoke")
    for token in live:
        token.revoked_at = at
        audit.record(
            session,
            actor=actor,
            action="token.revoked",
            via=via,
            detail={"username": user.username, "token_id": token.id, "name": token.name},
        )
    session.flush()
    return owned


def authenticate(session: Session, *, token: str, now: datetime | None = None) -> User | None:
    """The active user a live bearer token belongs to, or None: unknown, revoked and expired tokens alike."""
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == digest(token),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > (now or utcnow()),
        )
    )
    if row is None or not row.user.active:
        return None
    return row.user


def why_refused(session: Session, *, token: str, now: datetime | None = None) -> str:
    """Words for a refused bearer token, for its holder: expired and revoked tokens are told apart from
    unknown ones (the holder has the token; nothing is learnt of anyone else's)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or not row.user.active:
        return "the token is not valid"
    if row.revoked_at is not None:
        return "the token has been revoked: ask for a new one"
    if row.expires_at <= (now or utcnow()):
        return "the token has expired: ask for a new one"
    return "the token is not valid"
