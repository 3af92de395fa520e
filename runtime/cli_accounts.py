"""`liaison user deactivate|reactivate|edit|list`: running accounts from the command line, through the same
services and audit as the API (`services/api/users.py`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.cli_common import fail, validation_message
from schemas.api.staff import UserUpdate
from schemas.enums import Via
from schemas.settings import get_settings
from services.flows import leavers
from services.kernel.db import session_scope
from services.kernel.errors import DomainError
from services.kernel.migrate import ensure_current
from services.staff import service as staff
from services.staff.models import User


def _user(session: Session, username: str) -> User:
    user = staff.get_user(session, username=username)
    if user is None:
        raise fail(f"no user {username!r}")
    return user


def register(user_app: typer.Typer) -> None:
    @user_app.command("deactivate")
    def user_deactivate(username: str) -> None:
        """A leaver: USERNAME's tokens, sessions, sign-in links and Telegram link stop at once; messages not
        yet sent to them are never sent; each young person they worked with has their duty team told."""
        ensure_current(get_settings().database_url)
        try:
            with session_scope() as session:
                done = leavers.deactivate(session, user=_user(session, username), actor=None, via=Via.cli)
                typer.echo(done.model_dump_json())
        except DomainError as exc:
            raise fail(exc.detail) from exc

    @user_app.command("reactivate")
    def user_reactivate(username: str) -> None:
        """A returner: USERNAME works again, with a new `token` and `link_code` (shown only this once)."""
        settings = get_settings()
        ensure_current(settings.database_url)
        try:
            with session_scope() as session:
                back = staff.reactivate_user(
                    session,
                    user=_user(session, username),
                    actor=None,
                    via=Via.cli,
                    link_code_ttl_hours=settings.link_code_ttl_hours,
                )
                out = staff.to_read(back.user).model_dump(mode="json")
                typer.echo(json.dumps({**out, "token": back.token, "link_code": back.link_code}))
        except DomainError as exc:
            raise fail(exc.detail) from exc

    @user_app.command("edit")
    def user_edit(
        username: str,
        name: Annotated[str | None, typer.Option("--name", help="Display name")] = None,
        email: Annotated[str | None, typer.Option("--email", help='New address ("" clears it)')] = None,
        webhook: Annotated[str | None, typer.Option("--webhook", help='New URL ("" clears it)')] = None,
    ) -> None:
        """Change USERNAME's name or how they are reached; prints the user as JSON."""
        ensure_current(get_settings().database_url)
        given = {"display_name": name, "email": email, "webhook_url": webhook}
        try:
            data = UserUpdate(**{k: v for k, v in given.items() if v is not None})
            with session_scope() as session:
                user = staff.update_user(
                    session, user=_user(session, username), data=data, actor=None, via=Via.cli
                )
                typer.echo(staff.to_read(user).model_dump_json())
        except ValidationError as exc:
            raise fail(validation_message(exc)) from exc
        except DomainError as exc:
            raise fail(exc.detail) from exc

    @user_app.command("list")
    def user_list() -> None:
        """Every user, one JSON object per line (`active` false for leavers)."""
        ensure_current(get_settings().database_url)
        with session_scope() as session:
            for user in session.scalars(select(User).order_by(User.username)):
                typer.echo(staff.to_read(user).model_dump_json())
