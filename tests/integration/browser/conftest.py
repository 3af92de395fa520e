"""The browser tests' peers: one `liaison run` stack for the module (its uvicorn over a real socket, its rq
worker, its embedded Redis and SQLite file), a real aiosmtpd SMTP server, and the operating system's
Chromium driven by Playwright, with axe-core (from node_modules) checking every page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, make_url, text

from tests.conftest import Database
from tests.integration.conftest import YOUNG_PERSON, Mailbox, _free_port
from tests.integration.test_stack import Stack, _eventually, _running, _stack_env

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
SECRET = "browser-test-secret-3f9a1c7e5b2d4068aa17"  # noqa: S105 - this test's own stack only
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SHOTS = os.environ.get("LIAISON_SCREENSHOTS")  # a folder: save the main pages there (docs/web/)


def _need_chromium() -> None:
    if shutil.which(CHROMIUM) is None or not AXE.exists():
        message = f"no Chromium at {CHROMIUM} or no axe-core in node_modules (.ci/run installs both)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _stack_database(database: Database) -> dict[str, str]:
    """On PostgreSQL, the stack gets a database of its own beside this worker's (`<name>_browser`, emptied
    here, migrated by `liaison run`): the tests' own is emptied before every test. On SQLite it keeps the
    newcomer's default, a file in its folder."""
    if database.is_sqlite:
        return {}
    parsed = make_url(database.url)
    name = f"{parsed.database}_browser"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return {"DATABASE_URL": parsed.set(database=name).render_as_string(hide_password=False)}


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, smtp: tuple[Mailbox, int], database: Database
) -> Iterator[Stack]:
    _need_chromium()
    env = _stack_env(
        SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp[1]), SECRET_KEY=SECRET, **_stack_database(database)
    )
    yield from _running(tmp_path_factory.mktemp("stack"), env)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def assert_accessible(page: Any, name: str) -> None:
    """axe-core on the page as it is: no serious or critical WCAG 2.2 AA violation. With
    LIAISON_SCREENSHOTS set, the page is saved there as `<name>.png`."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        WCAG,
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name} ({page.url}): " + "; ".join(bad)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


Team = tuple[str, str, list[str]]  # code, agency, further `liaison team add` options
User = tuple[str, str, str, str, list[str]]  # username, name, role, team, further `liaison user add` options


def people(stack: Stack, teams: list[Team], users: list[User]) -> tuple[str, dict[str, dict[str, str]]]:
    """Once the stack answers, its teams and users made through the CLI: the API's address and each user's
    bearer header."""
    api = f"http://127.0.0.1:{stack.env['PORT']}"
    _eventually(lambda: httpx.get(f"{api}/readyz", timeout=2).status_code == 200, 120, "ready", stack)
    for team, agency, extra in teams:
        stack.cli("team", "add", team, "--name", f"Team {team}", "--agency", agency, *extra)
    auth: dict[str, dict[str, str]] = {}
    for name, title, role, team, extra in users:
        token = stack.cli("user", "add", name, "--name", title, "--role", role, "--team", team, *extra)[
            "token"
        ]
        auth[name] = {"Authorization": f"Bearer {token}"}
    return api, auth


def registered(http: httpx.Client, lead: dict[str, str], lead_social_worker: str) -> str:
    """The synthetic young person registered by `lead`, with their lead social worker; the ref."""
    created = http.post("/api/v1/young-people", json=YOUNG_PERSON, headers=lead)
    assert created.status_code == 201, created.text
    ref: str = created.json()["ref"]
    member = {"username": lead_social_worker, "role": "lead_social_worker"}
    added = http.post(f"/api/v1/young-people/{ref}/care-team", json=member, headers=lead)
    assert added.status_code == 201, added.text
    return ref
