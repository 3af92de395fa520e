"""The supervisor's restart policy with real processes that exit at once: a part that keeps failing is
started again and again, each time after a longer wait capped at a minute, and never given up on (the old
supervisor stopped the whole stack after a part's sixth exit within a minute)."""

from __future__ import annotations

import os
import sys

import pytest

from runtime import stack
from runtime.stack import Child, restart_delay


def test_the_back_off_doubles_and_is_capped() -> None:
    assert [restart_delay(n) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_part_that_keeps_exiting_is_started_again_each_time(capsys: pytest.CaptureFixture[str]) -> None:
    child = Child("bot", [sys.executable, "-c", "raise SystemExit(3)"], optional=True)
    env = dict(os.environ)
    child.start(env)
    pids = set()
    for _ in range(8):  # eight exits, each within a second of its start
        assert child.process is not None
        pids.add(child.process.pid)
        child.process.wait(30)
        child.check(env, child.started_at + 1)  # notices the exit, says when it will start again
        assert child.restart_at is not None
        child.check(env, child.restart_at - 0.1)  # not yet
        assert child.restart_at is not None
        child.check(env, child.restart_at)  # starts it again (the wait is simulated)
        assert child.restart_at is None
    assert len(pids) == 8
    said = capsys.readouterr().out.splitlines()
    exits = [line for line in said if line.startswith("bot exited with 3")]
    assert [line.split("restarting it in ")[1].split(" s")[0] for line in exits] == [
        "1",
        "2",
        "4",
        "8",
        "16",
        "32",
        "60",
        "60",
    ]
    assert all("the rest of the stack goes on without it" in line for line in exits)
    assert child.process is not None
    child.process.wait(30)


def test_a_part_that_ran_a_while_before_exiting_starts_again_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    child = Child("worker", [sys.executable, "-c", "raise SystemExit(1)"])
    env = dict(os.environ)
    child.start(env)
    assert child.process is not None
    child.process.wait(30)
    child.failures = 5  # it had been failing, then ran for longer than STABLE_SECONDS
    child.check(env, child.started_at + stack.STABLE_SECONDS + 1)
    assert child.failures == 1
    assert "restarting it in 1 s" in capsys.readouterr().out


@pytest.mark.usefixtures("clean_environment")
def test_an_unset_liaison_env_is_said_and_never_signs_with_the_public_secret() -> None:
    """Issue 13, item 8: `make run` on a fresh machine still needs no configuration, but an unset
    LIAISON_ENV no longer silently means development with the SECRET_KEY anyone can read in the source."""
    from schemas.settings import DEV_SECRET_KEY, Settings

    env: dict[str, str] = {}
    notices = stack.development_notices(Settings(), env)
    assert any("LIAISON_ENV is unset" in n for n in notices)
    assert any("SECRET_KEY is unset" in n for n in notices)
    assert env["SECRET_KEY"] != DEV_SECRET_KEY and len(env["SECRET_KEY"]) >= 32
    assert Settings(secret_key=env["SECRET_KEY"]).bot_key() != Settings().bot_key()
    again: dict[str, str] = {}
    stack.development_notices(Settings(), again)
    assert again["SECRET_KEY"] != env["SECRET_KEY"]  # a fresh one each run, never a known one

    chosen: dict[str, str] = {}
    said = stack.development_notices(
        Settings(liaison_env="development", secret_key="Vq3x9LmT2pR8sW1yB6nK4cZ7hJ0dF5gA-e_U"), chosen
    )
    assert said == [] and chosen == {}  # development chosen, with a secret of one's own: nothing to say
