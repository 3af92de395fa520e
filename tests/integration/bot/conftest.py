"""Peers for the bot's end-to-end tests, all on real loopback sockets: the Bot API test server, the real
API app served by uvicorn, and the real `liaison bot` process between them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from services.app import create_app
from tests.conftest import _reset_settings
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.conftest import _free_port

TOKEN = "123456:TEST-token-for-the-loopback-bot-api"  # noqa: S105 - a test value
ROOT = Path(__file__).parents[3]


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[TelegramServer]:
    """The Bot API test server; the worker (run in this process) sends its alerts there too."""
    server = TelegramServer()
    server.start(_free_port())
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", server.url)
    _reset_settings()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class ApiServer:
    url: str


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    """The real API app, served by uvicorn on a free port (the bot reaches it over HTTP)."""
    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "API server did not start"
        time.sleep(0.02)
    try:
        yield ApiServer(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_bot(
    telegram: TelegramServer, api: ApiServer, tmp_path: Path, *, started: int = 0, **env: str
) -> BotProcess:
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "BOT_API_URL": api.url,
        **env,
    }
    log = tmp_path / "bot.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "runtime.cli", "bot"],
            env=environment,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    bot = BotProcess(process, log)
    try:
        telegram.wait_for(
            lambda: len(telegram.sent("setMyCommands")) > started, "the bot to start", timeout=90
        )
    except AssertionError:
        stop_bot(bot)
        raise AssertionError("the bot did not start:\n" + bot.output()) from None
    return bot


def restart_bot(
    bot: BotProcess, telegram: TelegramServer, api: ApiServer, tmp_path: Path, **env: str
) -> None:
    """Stop the bot process (SIGTERM, as a deploy or `liaison run` does) and start a new one in its place
    (`bot` then stands for the new process, so the fixture that started it stops it)."""
    stop_bot(bot)
    assert bot.process.returncode is not None
    started = len(telegram.sent("setMyCommands"))
    restarted = tmp_path / f"restart{started}"
    restarted.mkdir()
    fresh = start_bot(telegram, api, restarted, started=started, **{"CHAT_DETAIL": "minimal", **env})
    bot.process, bot.log = fresh.process, fresh.log


def stop_bot(bot: BotProcess) -> None:
    if bot.process.poll() is None:
        bot.process.send_signal(signal.SIGTERM)
        try:
            bot.process.wait(15)
        except subprocess.TimeoutExpired:
            bot.process.kill()
            bot.process.wait()


@pytest.fixture
def bot(telegram: TelegramServer, api_server: ApiServer, tmp_path: Path) -> Iterator[BotProcess]:
    """The real `liaison bot` process, in minimal chat-detail mode."""
    running = start_bot(telegram, api_server, tmp_path, CHAT_DETAIL="minimal")
    try:
        yield running
    finally:
        stop_bot(running)
