"""`liaison run` as a person runs it: no REDIS_URL or DATABASE_URL, so a SQLite file and the embedded Redis;
an attendance becomes an email through a real SMTP server; Ctrl-C stops everything and frees the ports."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import YOUNG_PERSON, Mailbox, _free_port, attendance
from tests.integration.intake_helpers import hl7_fixture

pytestmark = [pytest.mark.integration, pytest.mark.stack]

ROOT = Path(__file__).resolve().parents[2]


class Stack:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "run"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal gives it
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def cli(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "runtime.cli", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def redis_port(self) -> int:
        [line] = [line for line in self.lines if line.startswith("redis")]
        return int(line.split()[1].rsplit(":", 1)[1].split("/")[0])

    def child_pids(self) -> list[int]:
        [line] = [line for line in self.lines if line.startswith("processes")]
        return [int(pid) for pid in re.findall(r"pid (\d+)", line)]

    def output(self) -> str:
        return "\n".join(self.lines)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _eventually(check: Any, timeout: float, what: str, stack: Stack) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except httpx.HTTPError:
            pass
        assert stack.process.poll() is None, f"liaison run exited early:\n{stack.output()}"
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s\n{stack.output()}")


def _stack_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    port, mllp_port = _free_port(), _free_port()
    env.update(
        PORT=str(port),
        HL7_MLLP_PORT=str(mllp_port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _running(folder: Path, env: dict[str, str]) -> Iterator[Stack]:
    running = Stack(folder, env)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait()


@pytest.fixture
def stack(tmp_path: Path, mailbox: Mailbox) -> Iterator[Stack]:
    yield from _running(tmp_path, _stack_env())


@pytest.fixture
def stack_with_a_broken_bot(tmp_path: Path, mailbox: Mailbox) -> Iterator[Stack]:
    """TELEGRAM_API_BASE_URL points at a port nobody listens on: the bot exits every time it starts."""
    yield from _running(
        tmp_path,
        _stack_env(
            TELEGRAM_BOT_TOKEN="123456:not-a-real-token",
            TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{_free_port()}",
            BOT_API_KEY="a-bot-key-for-this-test-only-0123456789",
        ),
    )


def test_liaison_run_delivers_an_alert_and_stops_cleanly_on_ctrl_c_while_its_bot_keeps_failing(
    stack_with_a_broken_bot: Stack, mailbox: Mailbox
) -> None:
    """One part's fault must never stop the others: the bot is restarted with a growing back-off for as
    long as it fails, while the API, the MLLP listener and the worker go on (it used to stop the whole
    stack after the bot's sixth exit within a minute). One stack serves both stories: each `liaison run`
    costs a busy machine tens of seconds."""
    stack = stack_with_a_broken_bot
    api = f"http://127.0.0.1:{stack.env['PORT']}"
    _eventually(lambda: httpx.get(f"{api}/readyz", timeout=2).status_code == 200, 120, "ready", stack)
    assert (stack.folder / "liaison.db").exists()
    redis_port = stack.redis_port()
    assert _listening(redis_port)

    for team, extra in (("CEC-CSC", ["--la", "CEC"]), ("CEC-SG", ["--la", "CEC"]), ("RBT-LIA", [])):
        stack.cli("team", "add", team, "--name", team, "--agency", "social_care", *extra)
    users = {
        name: stack.cli("user", "add", name, "--name", name.title(), "--role", role, "--team", team, *extra)
        for name, role, team, extra in (
            ("lead", "safeguarding_lead", "CEC-SG", []),
            ("jsmith", "social_worker", "CEC-CSC", ["--email", "jo.smith@example.org"]),
            ("hosp", "liaison", "RBT-LIA", []),
        )
    }
    for user in users.values():
        assert user["token"].startswith("lia_") and len(user["link_code"]) >= 8
    auth = {name: {"Authorization": f"Bearer {u['token']}"} for name, u in users.items()}

    with httpx.Client(base_url=api, timeout=10) as http:
        created = http.post("/api/v1/young-people", json=YOUNG_PERSON, headers=auth["lead"])
        assert created.status_code == 201, created.text
        ref = created.json()["ref"]
        member = {"username": "jsmith", "role": "lead_social_worker"}
        assert (
            http.post(f"/api/v1/young-people/{ref}/care-team", json=member, headers=auth["lead"]).status_code
            == 201
        )
        assert http.post("/api/v1/attendances", json=attendance(), headers=auth["hosp"]).status_code == 202

        [mail] = mailbox.wait_for(1, timeout=30)
        assert mail["To"] == "jo.smith@example.org" and ref in mail["Subject"]

        def delivered() -> dict[str, Any] | None:
            [notification] = http.get("/api/v1/notifications", headers=auth["jsmith"]).json()
            return notification if notification["status"] == "delivered" else None

        notification = _eventually(delivered, 10, "delivered", stack)
        acked = http.post(f"/api/v1/notifications/{notification['id']}/acknowledge", headers=auth["jsmith"])
        assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "jsmith"

    # The same stack takes HL7 v2 over MLLP on HL7_MLLP_PORT: one framed ED registration, one more alert.
    mllp_port = int(stack.env["HL7_MLLP_PORT"])
    _eventually(lambda: _listening(mllp_port), 30, "MLLP listening", stack)
    assert f"HL7 v2 MLLP      127.0.0.1:{mllp_port}" in stack.lines
    with socket.create_connection(("127.0.0.1", mllp_port), timeout=30) as sender:
        sender.sendall(b"\x0b" + hl7_fixture("a04-ed-attendance.hl7") + b"\x1c\x0d")
        answer = b""
        while not answer.endswith(b"\x1c\x0d"):
            chunk = sender.recv(4096)
            assert chunk, f"the listener closed the connection: {answer!r}"
            answer += chunk
    assert b"MSA|AA|MSG0001" in answer
    second = mailbox.wait_for(2, timeout=30)[1]
    assert second["To"] == "jo.smith@example.org" and ref in second["Subject"]

    # All the while the bot has been failing: it is restarted with a doubling back-off, the rest goes on.
    def exits() -> list[str]:
        return [line for line in stack.lines if line.startswith("bot exited")]

    _eventually(lambda: len(exits()) >= 3, 150, "three exits of the bot", stack)
    delays = [float(re.search(r"restarting it in ([\d.]+) s", line)[1]) for line in exits()]  # type: ignore[index]
    assert delays[:3] == [1, 2, 4], stack.output()  # doubling, capped at 60 s (test_stack_policy)
    assert "the rest of the stack goes on without it" in exits()[0]
    assert "stopping the stack" not in stack.output()

    os.killpg(stack.process.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole group
    try:
        code = stack.process.wait(20)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"liaison run did not stop within 20 s\n{stack.output()}") from None
    assert code == 0, stack.output()
    assert "stopped." in stack.lines
    assert not _listening(int(stack.env["PORT"]))
    assert not _listening(mllp_port)
    assert not _listening(redis_port)
    for pid in stack.child_pids():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    shutdown = stack.output().split("stopping ...", 1)[1]
    assert "Traceback" not in shutdown and "ConnectionError" not in shutdown, shutdown


def test_killing_the_supervisor_outright_stops_the_api_and_the_embedded_redis(stack: Stack) -> None:
    api = f"http://127.0.0.1:{stack.env['PORT']}"
    _eventually(lambda: httpx.get(f"{api}/readyz", timeout=2).status_code == 200, 120, "ready", stack)
    redis_port = stack.redis_port()

    stack.process.kill()  # SIGKILL to the supervisor alone: no chance to clean up
    stack.process.wait()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (_listening(int(stack.env["PORT"])) or _listening(redis_port)):
        time.sleep(0.2)
    assert not _listening(int(stack.env["PORT"])), "the API outlived its supervisor"
    assert not _listening(redis_port), "the embedded Redis outlived its supervisor"
