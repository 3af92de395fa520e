"""The outside parties of the integration contract, on real loopback sockets: the real `liaison run` stack
in a temporary folder, a mailbox (aiosmtpd), a webhook receiver, a Bot API test server and an MLLP
client. Nothing here imports the application: everything goes through the CLI, HTTP and TCP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.conftest import Mailbox, _free_port

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
VT, FS_CR = b"\x0b", b"\x1c\x0d"
BOT_TOKEN = "123456:CONTRACT-token-for-the-loopback-bot-api"  # noqa: S105 - a test value


def fixture_bytes(name: str) -> bytes:
    """A fixture's exact bytes (HL7 v2 keeps its carriage returns)."""
    return (FIXTURES / name).read_bytes()


def eventually(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    url: str = ""
    received: list[Hook] = field(default_factory=list)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", 0))
            state.received.append(Hook(self.path, dict(self.headers), self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@contextmanager
def bot_api_server() -> Iterator[TelegramServer]:
    server = TelegramServer()
    server.start(_free_port())
    try:
        yield server
    finally:
        server.stop()


class Stack:
    """`liaison run` in its own folder and process group, as a person starts it from a terminal."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.port, self.mllp_port = int(env["PORT"]), int(env["HL7_MLLP_PORT"])
        self.api = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "run"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 120.0) -> None:  # start-up on a busy machine
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"liaison run exited early:\n{self.output()}"
            try:
                if httpx.get(f"{self.api}/readyz", timeout=2).status_code == 200 and listening(
                    self.mllp_port
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the stack was not ready within {timeout} s:\n{self.output()}")

    def cli(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "runtime.cli", *args],
            cwd=self.folder,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def cli_json(self, *args: str) -> dict[str, Any]:
        """Runs a set-up command; it must print exactly one JSON object on stdout."""
        out = self.cli(*args).stdout.strip()
        parsed = json.loads(out)  # the whole of stdout: one JSON object, nothing else
        assert isinstance(parsed, dict), out
        return parsed

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def stack_env(*, database_url: str | None, redis_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a fresh shell: nothing of the test run's own settings leaks in."""
    ours = {"DATABASE_URL", "REDIS_URL", "LIAISON_ENV", "SECRET_KEY", "BOT_API_KEY", "BOT_API_URL"}
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith(("SMTP_", "TELEGRAM_"))}
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    port = _free_port()
    env.update(
        PORT=str(port),
        HL7_MLLP_PORT=str(_free_port()),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


class MllpClient:
    """One MLLP connection over a raw TCP socket."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send_raw(self, data: bytes) -> None:
        self.socket.sendall(data)

    def read_ack(self) -> bytes | None:
        """The next framed answer, or None when the listener closed the connection."""
        while FS_CR not in self.buffer:
            chunk = self.socket.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        frame, self.buffer = self.buffer.split(FS_CR, 1)
        assert frame.startswith(VT), frame
        return frame[1:]

    def exchange(self, message: bytes) -> bytes:
        self.send_raw(VT + message + FS_CR)
        ack = self.read_ack()
        assert ack is not None, "the listener closed the connection instead of answering"
        return ack

    def close(self) -> None:
        self.socket.close()


def msa(ack: bytes) -> list[str]:
    """The ACK's MSA segment's fields: [code, control id, text]."""
    for segment in ack.decode().replace("\n", "\r").split("\r"):
        if segment.startswith("MSA|"):
            return segment.split("|")[1:4] + [""] * (4 - len(segment.split("|")))
    raise AssertionError(f"no MSA segment in {ack!r}")
