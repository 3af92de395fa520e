"""`liaison run`: the whole stack in one command, on embedded defaults where nothing else is configured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

from runtime import embedded_redis
from runtime.processes import stop_with_parent
from schemas.settings import Settings
from services.kernel.migrate import ensure_current

RESTART_LIMIT = 5


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, env: dict[str, str]) -> None:
        # A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and the
        # children must instead be stopped by the supervisor, in order, while Redis is still up.
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            self.argv, env=env, process_group=0, preexec_fn=stop_with_parent
        )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run(settings: Settings) -> int:
    """Migrate, start Redis if needed, then the API, MLLP listener, worker, scheduler and (with a token) the
    bot; stop them all on Ctrl-C."""
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    ensure_current(settings.database_url)
    env = dict(os.environ)
    redis: embedded_redis.EmbeddedRedis | None = None
    if not settings.redis_url:
        redis = embedded_redis.start(settings.data_dir)
        env["REDIS_URL"] = redis.url
    command = [sys.executable, "-m", "runtime.cli"]
    children = [
        Child("api", [*command, "api"]),
        Child("mllp", [*command, "mllp"]),
        Child("worker", [*command, "worker"]),
        Child("scheduler", [*command, "scheduler"]),
    ]
    if settings.telegram_bot_token is not None:
        children.append(Child("bot", [*command, "bot"]))
    exit_code = 0
    try:
        for child in children:
            if not stopping:
                child.start(env)
        _say(f"liaison API      http://{settings.host}:{settings.port}  (docs at /docs, ready at /readyz)")
        _say(f"HL7 v2 MLLP      {settings.hl7_mllp_host}:{settings.hl7_mllp_port}")
        _say(f"database         {settings.database_url}")
        _say(
            f"redis            {env['REDIS_URL']}"
            + ("  (embedded, files in " + str(settings.data_dir) + ")" if redis else "")
        )
        _say(
            "processes        "
            + ", ".join(f"{c.name} (pid {c.process.pid if c.process else '?'})" for c in children)
        )
        _say("Press Ctrl-C to stop everything.")
        while not stopping:
            time.sleep(0.5)
            for child in children:
                assert child.process is not None
                if child.process.poll() is None or stopping:
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < 60] + [now]
                if len(child.restarts) > RESTART_LIMIT:
                    _say(f"{child.name} keeps exiting (code {child.process.returncode}); stopping the stack")
                    stopping, exit_code = True, 1
                    break
                _say(f"{child.name} exited with {child.process.returncode}; restarting it")
                child.start(env)
    finally:
        _say("stopping ...")
        for child in children:
            if child.process and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        if redis is not None:
            redis.stop()
        _say("stopped.")
    return exit_code
