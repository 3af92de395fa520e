"""Who may run accounts and tokens, checked with each refusal audited: one home for the HTTP API
(`services/api/users.py`, `services/api/tokens.py`) and the web pages (`web/admin_users.py`,
`web/account.py`). The rules themselves are `services.staff.rules` (pure)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.kernel.audit import service as audit
from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import Principal
from services.staff import rules
from services.staff import service as staff
from services.staff.models import User


def require_admin(session: Session, *, actor: Principal, action: str, **detail: str) -> None:
    """Only the system administrator runs accounts and teams: anyone else is refused, audited."""
    if not rules.may_manage_users(actor):
        audit.record_refusal(session, actor=actor, action=action, via=actor.via, detail=detail)
        raise Forbidden(f"your role ({actor.role}) may not run accounts: ask the system administrator")


def user_named(session: Session, *, username: str) -> User:
    user = staff.get_user(session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def token_owner(session: Session, *, actor: Principal, username: str, action: str) -> User:
    """The user whose tokens `actor` asks to manage: themself, or anyone for the system administrator.
    Anyone else, and an unknown name, is refused, audited."""
    user = staff.get_user(session, username=username)
    if user is None or not rules.may_manage_tokens(actor, owner_user_id=user.id):
        audit.record_refusal(
            session, actor=actor, action=action, via=actor.via, detail={"username": username}
        )
        if user is None:
            raise NotFound(f"no user {username!r}")
        raise Forbidden("only the user themself or the system administrator manages their tokens")
    return user
