"""`liaison run`: the whole stack in one command, on embedded defaults where nothing else is configured."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

from runtime import embedded_redis
from runtime.processes import stop_with_parent
from schemas.settings import DEV_SECRET_KEY, Settings
from services.kernel.migrate import ensure_current

# A part that exits is started again after a back-off that doubles with each exit in a row, capped; a run
# of STABLE_SECONDS counts as recovered. No part's fault ever stops the others: the API, the MLLP listener
# and the worker go on taking attendances and sending alerts while the bot (say) cannot reach Telegram.
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 60.0
STABLE_SECONDS = 60.0


def restart_delay(failures: int) -> float:
    """Seconds to wait before starting a part again after `failures` exits in a row (1, 2, 4 ... 60)."""
    return min(RESTART_MAX_SECONDS, RESTART_FIRST_SECONDS * float(2 ** max(0, failures - 1)))


@dataclass
class Child:
    name: str
    argv: list[str]
    optional: bool = False  # the stack's work goes on without it (the bot): said so in the log
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0  # exits in a row, each within STABLE_SECONDS of its start
    restart_at: float | None = None  # when to start it again after an exit

    def start(self, env: dict[str, str]) -> None:
        # A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and the
        # children must instead be stopped by the supervisor, in order, while Redis is still up.
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            self.argv, env=env, process_group=0, preexec_fn=stop_with_parent
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def check(self, env: dict[str, str], now: float) -> None:
        """Start it again if it is due, or notice that it exited and say when it will be started again."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                _say(f"{self.name}: starting again")
                self.start(env)
            return
        if self.process is None or self.process.poll() is None:
            return
        code = self.process.returncode
        self.failures = 1 if now - self.started_at >= STABLE_SECONDS else self.failures + 1
        delay = restart_delay(self.failures)
        self.restart_at = now + delay
        impact = (
            "the rest of the stack goes on without it"
            if self.optional
            else "the other parts go on; this one is needed, see its log"
        )
        _say(
            f"{self.name} exited with {code} ({self.failures} in a row); restarting it in {delay:g} s"
            f" (back-off doubles up to {RESTART_MAX_SECONDS:g} s); {impact}"
        )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def development_notices(settings: Settings, env: dict[str, str]) -> list[str]:
    """Development must never pass unnoticed, nor sign with the public development SECRET_KEY: with it
    unset, this run's parts share a random one (webhook signatures and the bot's derived key agree among
    them; nothing outside the run could forge them). Changes `env` (the children's) and says what it did."""
    if settings.liaison_env == "production":
        return []
    notices: list[str] = []
    if "liaison_env" not in settings.model_fields_set:
        notices.append(
            "LIAISON_ENV is unset: running as development (set LIAISON_ENV=production for real use)"
        )
    if settings.secret_key.get_secret_value() == DEV_SECRET_KEY:
        env["SECRET_KEY"] = secrets.token_urlsafe(32)
        notices.append("SECRET_KEY is unset: this run signs with a random one (set SECRET_KEY to keep one)")
    return notices


def run(settings: Settings) -> int:
    """Migrate, start Redis if needed, then the API, MLLP listener, worker, scheduler and (with a token) the
    bot; restart any of them that exits (with back-off), and stop them all on Ctrl-C."""
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
    for notice in development_notices(settings, env):
        _say(notice)
    command = [sys.executable, "-m", "runtime.cli"]
    children = [
        Child("api", [*command, "api"]),
        Child("mllp", [*command, "mllp"]),
        Child("worker", [*command, "worker"]),
        Child("scheduler", [*command, "scheduler"]),
    ]
    if settings.telegram_bot_token is not None:
        children.append(Child("bot", [*command, "bot"], optional=True))
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
            now = time.monotonic()
            for child in children:
                if not stopping:
                    child.check(env, now)
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
    return 0
