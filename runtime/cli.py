"""The `liaison` command: set-up (teams, users, migrations) and one command per process of the stack."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import timedelta
from typing import Annotated

import typer
from pydantic import ValidationError

from runtime import cli_accounts
from runtime.cli_common import fail, validation_message
from runtime.cli_governance import retention_app, sar
from schemas.api.staff import TeamCreate, TeamRead, TokenCreate, UserCreate
from schemas.enums import Agency, Role, Via
from schemas.settings import SettingsRefused, get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.errors import DomainError
from services.kernel.logsafe import configure_logging
from services.kernel.migrate import ensure_current, upgrade
from services.staff import service as staff
from services.staff import tokens

app = typer.Typer(
    help="liaison: alerts, needs assessments and discharge plans for young people in crisis.",
    pretty_exceptions_show_locals=False,  # locals hold tokens and secrets; tracebacks reach logs
)
team_app = typer.Typer(help="Teams (social care, CAMHS, acute liaison, duty ...).")
user_app = typer.Typer(help="Staff users and their API tokens.")
db_app = typer.Typer(help="The database schema.")
audit_app = typer.Typer(help="The audit trail's hash chain (docs/audit.md).")
app.add_typer(team_app, name="team")
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
cli_accounts.register(user_app)
app.add_typer(retention_app, name="retention")
app.command("sar")(sar)


@team_app.command("add")
def team_add(
    code: str,
    name: Annotated[str, typer.Option("--name", help="The team's name")],
    agency: Annotated[Agency, typer.Option("--agency")],
    la: Annotated[str | None, typer.Option("--la", help="Local authority code")] = None,
    duty: Annotated[
        bool, typer.Option("--duty", help="The LA's duty team: alerts nobody else would get, cross-border")
    ] = False,
    out_of_hours: Annotated[
        bool,
        typer.Option(
            "--out-of-hours",
            help="The LA's out-of-hours (emergency duty) team: told of attendance escalations outside "
            "working hours",
        ),
    ] = False,
) -> None:
    """Register a team; prints it as JSON."""
    settings = get_settings()
    ensure_current(settings.database_url)
    try:
        data = TeamCreate(
            code=code, name=name, agency=agency, la_code=la, is_duty=duty, is_out_of_hours=out_of_hours
        )
        with session_scope() as session:
            team = staff.create_team(session, data=data, actor=None, via=Via.cli)
            typer.echo(TeamRead.model_validate(team).model_dump_json())
    except ValidationError as exc:
        raise fail(validation_message(exc)) from exc
    except DomainError as exc:
        raise fail(exc.detail) from exc


@team_app.command("set")
def team_set(
    code: str,
    duty: Annotated[bool | None, typer.Option("--duty/--no-duty", help="The LA's duty team")] = None,
    out_of_hours: Annotated[
        bool | None,
        typer.Option("--out-of-hours/--no-out-of-hours", help="The LA's out-of-hours (emergency duty) team"),
    ] = None,
) -> None:
    """Mark an existing team as its local authority's duty or out-of-hours team, or not; prints JSON."""
    settings = get_settings()
    ensure_current(settings.database_url)
    try:
        with session_scope() as session:
            team = staff.set_team_roles(
                session, code=code, is_duty=duty, is_out_of_hours=out_of_hours, actor=None, via=Via.cli
            )
            typer.echo(TeamRead.model_validate(team).model_dump_json())
    except DomainError as exc:
        raise fail(exc.detail) from exc


@user_app.command("add")
def user_add(
    username: str,
    name: Annotated[str, typer.Option("--name", help="Display name")],
    role: Annotated[Role, typer.Option("--role")],
    team: Annotated[str, typer.Option("--team", help="Team code")],
    email: Annotated[str | None, typer.Option("--email")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="URL alerts are POSTed to")] = None,
) -> None:
    """Register a staff user; prints JSON with the API `token` (shown only this once) and `link_code`."""
    settings = get_settings()
    ensure_current(settings.database_url)
    try:
        data = UserCreate(
            username=username, display_name=name, role=role, team_code=team, email=email, webhook_url=webhook
        )
        with session_scope() as session:
            created = staff.create_user(
                session,
                data=data,
                actor=None,
                via=Via.cli,
                link_code_ttl_hours=settings.link_code_ttl_hours,
            )
            out = staff.to_read(created.user).model_dump(mode="json")
            out.update(token=created.token, link_code=created.link_code)
            typer.echo(json.dumps(out))
    except ValidationError as exc:
        raise fail(validation_message(exc)) from exc
    except DomainError as exc:
        raise fail(exc.detail) from exc


@user_app.command("link-code")
def user_link_code(username: str) -> None:
    """A fresh one-time Telegram link code for USERNAME (the old one stops working); prints JSON."""
    settings = get_settings()
    ensure_current(settings.database_url)
    with session_scope() as session:
        user = staff.get_user(session, username=username)
        if user is None:
            raise fail(f"no user {username!r}")
        code = staff.issue_link_code(session, user=user, ttl_hours=settings.link_code_ttl_hours)
        typer.echo(json.dumps({"username": username, "link_code": code}))


@user_app.command("token")
def user_token(
    username: str,
    name: Annotated[str, typer.Option("--name", help="What it is for: personal, or the sending system")] = (
        "personal"
    ),
    days: Annotated[
        int | None, typer.Option("--days", help="Its life (default: the most the role allows)")
    ] = None,
) -> None:
    """A new API token for USERNAME; prints JSON with the `token` (shown only this once) and its expiry."""
    ensure_current(get_settings().database_url)
    try:
        body = TokenCreate(name=name, days=days)
        with session_scope() as session:
            user = staff.get_user(session, username=username)
            if user is None:
                raise fail(f"no user {username!r}")
            token, secret = tokens.issue(
                session, user=user, actor=None, via=Via.cli, name=body.name, days=body.days
            )
            out = tokens.to_read(token).model_dump(mode="json")
            typer.echo(json.dumps({"username": username, **out, "token": secret}))
    except ValidationError as exc:
        raise fail(validation_message(exc)) from exc
    except DomainError as exc:
        raise fail(exc.detail) from exc


@user_app.command("tokens")
def user_tokens(username: str) -> None:
    """USERNAME's tokens, newest first, with their state; prints one JSON object."""
    ensure_current(get_settings().database_url)
    with session_scope() as session:
        user = staff.get_user(session, username=username)
        if user is None:
            raise fail(f"no user {username!r}")
        listed = [tokens.to_read(t).model_dump(mode="json") for t in tokens.of(session, user=user)]
        typer.echo(json.dumps({"username": username, "tokens": listed}))


@user_app.command("revoke")
def user_revoke(
    username: str,
    token_id: Annotated[
        int | None, typer.Option("--token-id", help="One token (default: every live one)")
    ] = None,
) -> None:
    """Revoke one of USERNAME's tokens, or all that are live; refused at once from then on."""
    ensure_current(get_settings().database_url)
    try:
        with session_scope() as session:
            user = staff.get_user(session, username=username)
            if user is None:
                raise fail(f"no user {username!r}")
            done = tokens.revoke(session, user=user, actor=None, via=Via.cli, token_id=token_id)
            listed = [tokens.to_read(t).model_dump(mode="json") for t in done]
            typer.echo(json.dumps({"username": username, "tokens": listed}))
    except DomainError as exc:
        raise fail(exc.detail) from exc


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(get_settings().database_url, revision)
    typer.echo(json.dumps({"database": "upgraded", "revision": revision}))


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal every audit event committed so far into the hash chain (the scheduler also does this)."""
    from services.kernel.audit import sealing

    ensure_current(get_settings().database_url)
    try:
        sealed = sealing.seal(now=utcnow())
    except sealing.SealContended as exc:
        raise fail(str(exc)) from exc
    typer.echo(json.dumps({"sealed": sealed}))


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain from the events as they are now. Exit code 0 if it holds, no event is
    unsealed past AUDIT_SEAL_GRACE_SECONDS and the append-only triggers are in place; 1 otherwise (with the
    first broken link, the overdue events and the missing triggers)."""
    from services.kernel.audit import sealing

    settings = get_settings()
    ensure_current(settings.database_url)
    result = sealing.verify(now=utcnow(), grace=timedelta(seconds=settings.audit_seal_grace_seconds))
    with session_scope() as session:
        unguarded = sealing.missing_guards(session)
    broken = dataclasses.asdict(result.broken) if result.broken else None
    ok = result.ok and not unguarded
    out = {
        "ok": ok,
        "missing_guards": unguarded,
        "sealed": result.sealed,
        "head": result.head_hash,
        "broken": broken,
        "overdue_unsealed": result.overdue_unsealed,
    }
    typer.echo(json.dumps(out))
    if not ok:
        raise typer.Exit(code=1)


@app.command()
def api() -> None:
    """Serve the HTTP API (PORT, default 8000)."""
    import uvicorn

    settings = get_settings()
    ensure_current(settings.database_url)
    uvicorn.run("services.app:create_app", factory=True, host=settings.host, port=settings.port)


@app.command()
def worker(burst: Annotated[bool, typer.Option(help="Stop when the queue is empty")] = False) -> None:
    """Run the rq workers that deliver alerts (WORKER_PROCESSES of them, WORKER_MODE simple or fork; with
    rq's scheduler for retries)."""
    from worker.main import run_worker

    settings = get_settings()
    ensure_current(settings.database_url)
    run_worker(burst=burst, processes=settings.worker_processes, mode=settings.worker_mode)


@app.command()
def scheduler() -> None:
    """Run the periodic jobs (the sweeper that re-drives undelivered alerts)."""
    from worker.main import run_scheduler

    run_scheduler()


@app.command()
def bot() -> None:
    """Run the Telegram bot (long polling TELEGRAM_API_BASE_URL; a client of the HTTP API at BOT_API_URL)."""
    from bot.app import BotNotConfigured
    from bot.app import run as run_bot

    if get_settings().telegram_bot_token is None:
        typer.echo(json.dumps({"bot": "not started: TELEGRAM_BOT_TOKEN is not set"}))
        return
    try:
        run_bot(get_settings())
    except BotNotConfigured as exc:
        raise fail(str(exc)) from exc


@app.command()
def mllp() -> None:
    """Serve HL7 v2 over MLLP (HL7_MLLP_HOST:HL7_MLLP_PORT, default 127.0.0.1:2575)."""
    import asyncio

    from services.api.mllp import ListenerConfig, serve

    settings = get_settings()
    faults = settings.mllp_faults()
    if faults:
        raise fail("; ".join(faults))
    ensure_current(settings.database_url)
    if not settings.mllp_allowed_facilities:
        logging.getLogger(__name__).warning(
            "HL7_MLLP_ALLOWED_FACILITIES is empty: any sending facility is taken (development only)"
        )
    asyncio.run(serve(ListenerConfig.from_settings(settings)))


@app.command()
def run() -> None:
    """Run the whole stack: API, MLLP listener, worker, scheduler, and the bot when TELEGRAM_BOT_TOKEN is set;
    an embedded Redis when REDIS_URL is unset."""
    from runtime.stack import run as run_stack

    raise typer.Exit(code=run_stack(get_settings()))


def main() -> None:
    configure_logging()
    try:
        app()
    except SettingsRefused as exc:
        typer.echo(f"liaison: refusing to start: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
