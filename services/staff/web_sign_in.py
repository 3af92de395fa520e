"""The web front end's passwordless sign-in: emailed single-use links, and server-side browser sessions.

A link's or session's secret is handed out once and kept only as its digest. A link is also signed with
SECRET_KEY (`<secret>.<signature>`), so a mistyped or forged one is refused before the database is asked.
A user whose account is deactivated (`users.active` false) is refused at every step, at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.kernel.security import digest, sign
from services.staff.models import SignInLink, User, WebSession
from services.staff.rules import web_session_alive

SIGNATURE_CHARS = 32


def _signed(key: str, secret: str) -> str:
    return f"{secret}.{sign(key, 'sign-in:' + secret)[:SIGNATURE_CHARS]}"


def _unsigned(key: str, token: str) -> str | None:
    secret, _, signature = token.partition(".")
    if not secret or len(signature) != SIGNATURE_CHARS:
        return None
    expected = sign(key, "sign-in:" + secret)[:SIGNATURE_CHARS]
    return secret if secrets.compare_digest(expected, signature) else None


def user_by_email(session: Session, *, email: str) -> User | None:
    """The active user with this address (any case), or None."""
    return session.scalar(
        select(User)
        .where(func.lower(User.email) == email.strip().lower(), User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )


def issue_link(session: Session, *, user: User, key: str, now: datetime, life: timedelta) -> str:
    """A new sign-in link token for `user` (shown once: only its digest is kept)."""
    secret = secrets.token_urlsafe(32)
    session.add(
        SignInLink(user_id=user.id, secret_hash=digest(secret), created_at=now, expires_at=now + life)
    )
    session.flush()
    return _signed(key, secret)


@dataclass(frozen=True)
class Redeemed:
    user: User | None
    why: str  # "ok", "invalid", "expired", "used", "inactive"


def redeem_link(session: Session, *, token: str, key: str, now: datetime) -> Redeemed:
    """Use a sign-in link: the first use of a live link of an active user signs in; the claim is a
    conditional UPDATE, so two racing uses cannot both succeed."""
    secret = _unsigned(key, token)
    link = (
        session.scalar(select(SignInLink).where(SignInLink.secret_hash == digest(secret))) if secret else None
    )
    if link is None:
        return Redeemed(None, "invalid")
    if link.used_at is not None:
        return Redeemed(None, "used")
    if link.expires_at <= now:
        return Redeemed(None, "expired")
    if not link.user.active:
        return Redeemed(None, "inactive")
    claimed = session.execute(
        update(SignInLink).where(SignInLink.id == link.id, SignInLink.used_at.is_(None)).values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return Redeemed(None, "used")
    return Redeemed(link.user, "ok")


def start_session(session: Session, *, user: User, now: datetime) -> str:
    """A new browser session for `user`; the returned secret goes in the cookie, only its digest is kept."""
    secret = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            user_id=user.id,
            secret_hash=digest(secret),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return secret


def live_session(
    session: Session, *, secret: str, now: datetime, idle: timedelta, absolute: timedelta
) -> WebSession | None:
    """The live session this cookie secret opens, its use recorded; None (and the session ended) when it
    has timed out or its user is no longer active."""
    row = session.scalar(
        select(WebSession).where(WebSession.secret_hash == digest(secret), WebSession.ended_at.is_(None))
    )
    if row is None:
        return None
    alive = web_session_alive(
        created_at=row.created_at, last_seen_at=row.last_seen_at, now=now, idle=idle, absolute=absolute
    )
    if not alive or not row.user.active:
        row.ended_at = now
        return None
    row.last_seen_at = now
    return row


def end_session(session: Session, *, secret: str, now: datetime) -> None:
    """Sign out: the session stops working at once."""
    session.execute(
        update(WebSession)
        .where(WebSession.secret_hash == digest(secret), WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )
