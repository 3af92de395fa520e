"""What the benchmarks share: the real `liaison run` stack in a temporary folder, the CLI, and a
caseload of registered young people with synthetic 999-range NHS numbers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nhs_number

ROOT = Path(__file__).resolve().parent.parent
EXTRA_ROLES = ("camhs", "gp", "school_health", "early_help")  # care-team members after the lead social worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def synthetic_nhs_numbers(count: int) -> list[str]:
    numbers: list[str] = []
    body = 1
    while len(numbers) < count:
        digits = f"999{body:06d}"
        check = nhs_number.calculate_checksum(digits)
        if check is not None and check != 10:
            numbers.append(digits + str(check))
        body += 1
    return numbers


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def young_person(number: str) -> dict[str, str]:
    """A synthetic young person in local authority B."""
    return {
        "nhs_number": number,
        "given_name": "Bench",
        "family_name": "Person",
        "date_of_birth": "2009-01-01",
        "responsible_la": "B",
    }


@dataclass
class Stack:
    env: dict[str, str]
    workdir: Path
    http: httpx.Client

    def cli(self, *args: str) -> dict[str, Any]:
        """Run `liaison ARGS...` against this stack; its last line of JSON."""
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "runtime.cli", *args],
            env=self.env,
            cwd=self.workdir,
            check=True,
            capture_output=True,
            text=True,
        )
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    def seed(
        self, count: int, *, social_worker_email: str | None = None, recipients: int = 1
    ) -> tuple[list[str], list[str]]:
        """`count` young people in local authority B, each with one lead social worker (`sw`) and
        `recipients` - 1 more care-team members (`sw2`, ... as CAMHS, GP ...), so each attendance makes
        `recipients` alerts. Returns their NHS numbers and refs."""
        self.cli("team", "add", "B-SG", "--name", "Bench SG", "--agency", "social_care", "--la", "B")
        self.cli("team", "add", "B-CSC", "--name", "Bench CSC", "--agency", "social_care", "--la", "B")
        lead = self.cli(
            "user", "add", "lead", "--name", "Lead", "--role", "safeguarding_lead", "--team", "B-SG"
        )
        email = ["--email", social_worker_email] if social_worker_email else []
        self.cli("user", "add", "sw", "--name", "SW", "--role", "social_worker", "--team", "B-CSC", *email)
        members = [("sw", "lead_social_worker")]
        for n, role in zip(range(2, recipients + 1), EXTRA_ROLES, strict=False):
            user = f"sw{n}"
            mail = ["--email", social_worker_email.replace("@", f"+{n}@")] if social_worker_email else []
            self.cli(
                "user", "add", user, "--name", user.upper(), "--role", "clinician", "--team", "B-CSC", *mail
            )
            members.append((user, role))
        auth = {"Authorization": f"Bearer {lead['token']}"}
        numbers = synthetic_nhs_numbers(count)
        refs: list[str] = []
        for number in numbers:
            created = self.http.post(
                "/api/v1/young-people",
                headers=auth,
                json=young_person(number),
            )
            created.raise_for_status()
            ref = created.json()["ref"]
            for username, role in members:
                self.http.post(
                    f"/api/v1/young-people/{ref}/care-team",
                    headers=auth,
                    json={"username": username, "role": role},
                ).raise_for_status()
            refs.append(ref)
        return numbers, refs


@contextmanager
def running(prefix: str, **env: str) -> Iterator[Stack]:
    """`liaison run` in a new temporary folder with these extra settings; stopped with Ctrl-C after."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    print(f"stack log: {workdir / 'stack.log'}")
    api_port = env.setdefault("PORT", str(free_port()))
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    with (workdir / "stack.log").open("w") as log:
        stack = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "runtime.cli", "run"],
            env=full_env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as http:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if http.get("/readyz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise SystemExit("stack not ready in 60 s")
                    time.sleep(0.2)
                yield Stack(full_env, workdir, http)
        finally:
            stack.send_signal(signal.SIGINT)
            try:
                stack.wait(30)
            except subprocess.TimeoutExpired:
                stack.kill()
