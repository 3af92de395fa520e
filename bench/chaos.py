"""The chaos run (issues 12 and 14): a real stack under faults, and what reached the receiver.

Starts its own Redis server (the bundled binary, so it can kill it and start it again), the API, several
`liaison worker` processes (one rq worker each, so one can be SIGKILLed) and `liaison scheduler`, each a
process of its own, plus a webhook receiver that answers 500 / 429 / drops / slow replies and honours
Idempotency-Key (bench/chaos_receiver.py). It sends attendances at a steady rate while it SIGKILLs
workers (one busy sending when it can), kills Redis and starts it again once keeping its data and once
without it, and restarts whatever it killed (as `liaison run` would). Anything else that exits is counted.
Then it waits for the deliveries to settle and prints, per (attendance, recipient):

  lost, duplicated at the receiver (every repeat; and seen by a person: a second Idempotency-Key),
  unexpected, retries dropped (a retry that never came, or came later than two sweeps after it was due),
  scheduler absent (seconds Redis was up and no retry mover held its lock), the worst crash recovery (a
  worker killed mid-send until its alert was tried again) and the worst delivery delay (attendance posted
  until the recipient first had the alert), against DELIVERY_LEASE_SECONDS + SWEEP_INTERVAL_SECONDS.

    .venv/bin/python bench/chaos.py [--seconds 180] [--rate 3] [--workers 3] [--kills 6] [--short]

Exit status 1 when anything was lost, a person saw a duplicate, a process exited by itself, or (without
--short, which keeps the timing bounds three times as generous for a loaded machine) a bound was passed.
DATABASE_URL is used when set (an empty database), else a new SQLite file. Loopback only."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chaos_receiver import Receipt, Receiver  # noqa: E402
from stack import free_port, synthetic_nhs_numbers, young_person  # noqa: E402

ROLES = ("lead_social_worker", "camhs", "gp", "school_health")
RECONNECT_GRACE = 4.0  # after Redis comes back: the scheduler's next poll (2 s) and its lock's first tick


@dataclass
class Config:
    seconds: float = 180.0
    rate: float = 3.0
    workers: int = 3
    recipients: int = 2
    kills: int = 6
    lease: int = 45
    sweep: int = 10
    job_timeout: int = 30
    retry_base: int = 2
    short: bool = False
    database_url: str | None = None
    workdir: Path | None = None

    @property
    def bound(self) -> float:
        return float(self.lease + self.sweep)


@dataclass
class Proc:
    name: str
    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    killed: bool = False
    restart_at: float | None = None

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                self.argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.killed = False
        self.restart_at = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.killed = True
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Report:
    config: Config
    expected: int = 0
    not_accepted: int = 0
    lost: int = 0
    duplicates: int = 0
    duplicates_seen: int = 0
    unexpected: int = 0
    retries: int = 0
    retries_dropped: int = 0
    retries_late: int = 0
    scheduler_absent: float = 0.0
    recoveries: list[float] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)
    kills: int = 0
    redis_restarts: list[str] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: setup, send, drain
    workdir: str = ""

    @property
    def worst_recovery(self) -> float:
        return max(self.recoveries, default=0.0)

    @property
    def worst_delay(self) -> float:
        return max(self.delays, default=0.0)

    def failures(self) -> list[str]:
        bound = self.config.bound * (3 if self.config.short else 1)
        out = []
        if self.lost:
            out.append(f"{self.lost} lost")
        if self.duplicates_seen:
            out.append(f"{self.duplicates_seen} duplicates seen by a person")
        if self.exits:
            out.append(f"processes exited by themselves: {', '.join(self.exits)}")
        if self.worst_recovery > bound:
            out.append(f"worst crash recovery {self.worst_recovery:.1f} s > {bound:g} s")
        if self.worst_delay > bound:
            out.append(f"worst delivery delay {self.worst_delay:.1f} s > {bound:g} s")
        if not self.config.short and self.retries_dropped:
            out.append(f"{self.retries_dropped} retries dropped")
        if not self.config.short and self.scheduler_absent > 0:
            out.append(f"scheduler absent {self.scheduler_absent:.1f} s")
        return out

    def lines(self) -> list[str]:
        c = self.config
        delays = sorted(self.delays)
        p95 = delays[int(0.95 * (len(delays) - 1))] if delays else 0.0
        return [
            f"chaos: {c.seconds:g} s at {c.rate:g}/s, {c.workers} worker processes, {c.recipients} recipients "
            f"each; {self.kills} workers SIGKILLed, Redis {' and '.join(self.redis_restarts)}; "
            f"lease {c.lease} s + sweep {c.sweep} s = bound {c.bound:g} s; {os.cpu_count()} cores; "
            f"run took {self.elapsed:.0f} s in {self.workdir} ("
            + ", ".join(f"{k} {v:.0f} s" for k, v in self.phases.items())
            + ")",
            f"receiver answers: {', '.join(f'{k} {v}' for k, v in sorted(self.answers.items()))}",
            f"expected {self.expected} (attendance, recipient) alerts; not accepted by the API "
            f"{self.not_accepted}",
            f"lost {self.lost}",
            f"duplicated at the receiver {self.duplicates} (seen by a person: {self.duplicates_seen})",
            f"unexpected {self.unexpected}",
            f"retries {self.retries}: dropped {self.retries_dropped}, later than 5 s after due "
            f"{self.retries_late} (all in or just after a Redis outage when dropped is 0)",
            f"scheduler absent {self.scheduler_absent:.1f} s (Redis up, {RECONNECT_GRACE:g} s after each start)",
            f"worst crash recovery {self.worst_recovery:.1f} s over {len(self.recoveries)} killed sends",
            f"delivery delay p95 {p95:.1f} s, worst {self.worst_delay:.1f} s",
            f"processes that exited by themselves: {len(self.exits)}",
        ]


def _ts(value: Any) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return float(value.timestamp())


class Chaos:
    def __init__(self, config: Config) -> None:
        self.c = config
        self.workdir = config.workdir or Path(tempfile.mkdtemp(prefix="liaison-chaos-"))
        self.report = Report(config)
        # One receiving system per recipient (social care's, CAMHS's ...), each its own HTTP server.
        self.receivers = [Receiver(seed=14 + n) for n in range(config.recipients)]
        self.redis_port = free_port()
        self.redis_generation = 0
        self.redis_up_since = 0.0
        self.redis_up = False
        self.kill_times: list[float] = []
        self.outages: list[tuple[float, float]] = []  # (Redis killed, Redis answering again), wall clock
        self.down_at = 0.0
        self.procs: list[Proc] = []
        self.env: dict[str, str] = {}
        self.redis: Any = None

    # peers
    def start_redis(self, *, keep_data: bool) -> None:
        from runtime import embedded_redis

        if not keep_data:
            self.redis_generation += 1
        folder = self.workdir / f"redis-{self.redis_generation}"
        self.redis = embedded_redis.start(folder, port=self.redis_port)
        self.redis_up, self.redis_up_since = True, time.time()
        if self.down_at:
            self.outages.append((self.down_at, self.redis_up_since))
            self.down_at = 0.0

    def kill_redis(self) -> None:
        self.redis_up, self.down_at = False, time.time()
        self.redis.process.send_signal(signal.SIGKILL)
        self.redis.process.wait()

    def setup(self) -> tuple[httpx.Client, dict[str, str], list[str]]:
        url = self.c.database_url or f"sqlite:///{self.workdir / 'chaos.db'}"
        self.start_redis(keep_data=True)
        api_port = free_port()
        receiver_urls = [receiver.start() for receiver in self.receivers]
        self.env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            DATABASE_URL=url,
            REDIS_URL=self.redis.url,
            PORT=str(api_port),
            WORKER_PROCESSES="1",
            WORKER_MODE="simple",
            DELIVERY_LEASE_SECONDS=str(self.c.lease),
            DELIVERY_JOB_TIMEOUT_SECONDS=str(self.c.job_timeout),
            SWEEP_INTERVAL_SECONDS=str(self.c.sweep),
            DELIVERY_RETRY_BASE_SECONDS=str(self.c.retry_base),
            DELIVERY_MAX_ATTEMPTS="12",
        )
        os.environ["DATABASE_URL"] = url  # for the seeding below, in this process
        from schemas.settings import get_settings
        from services.kernel.migrate import ensure_current

        get_settings.cache_clear()
        ensure_current(url)
        command = [sys.executable, "-m", "runtime.cli"]
        self.procs = [Proc("api", [*command, "api"], self.workdir / "api.log")]
        self.procs.append(Proc("scheduler", [*command, "scheduler"], self.workdir / "scheduler.log"))
        for n in range(self.c.workers):
            self.procs.append(Proc(f"worker{n}", [*command, "worker"], self.workdir / f"worker{n}.log"))
        for proc in self.procs:
            proc.start(self.env)
        http = httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30)
        deadline = time.monotonic() + 90
        while True:
            try:
                if http.get("/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"API not ready in 90 s; see {self.workdir / 'api.log'}")
            time.sleep(0.2)
        hospital, numbers = self.seed(http, receiver_urls)
        return http, hospital, numbers

    def seed(self, http: httpx.Client, receiver_urls: list[str]) -> tuple[dict[str, str], list[str]]:
        from schemas.api.staff import TeamCreate, UserCreate
        from schemas.enums import Agency, Role, Via
        from services.kernel.db import session_scope
        from services.staff import service as staff

        def user(name: str, role: Role, team: str, webhook: str | None = None) -> str:
            with session_scope() as session:
                made = staff.create_user(
                    session,
                    data=UserCreate(
                        username=name,
                        display_name=name.upper(),
                        role=role,
                        team_code=team,
                        webhook_url=webhook,
                    ),
                    actor=None,
                    via=Via.cli,
                    link_code_ttl_hours=1,
                )
                return made.token

        with session_scope() as session:
            for code, agency, la in (
                ("B-SG", Agency.social_care, "B"),
                ("B-CSC", Agency.social_care, "B"),
                ("B-ED", Agency.acute_liaison, None),
            ):
                staff.create_team(
                    session,
                    data=TeamCreate(code=code, name=code, agency=agency, la_code=la),
                    actor=None,
                    via=Via.cli,
                )
        lead = {"Authorization": f"Bearer {user('lead', Role.safeguarding_lead, 'B-SG')}"}
        members = []
        for n in range(self.c.recipients):
            name = f"sw{n}"
            role = Role.social_worker if n == 0 else Role.clinician
            user(name, role, "B-CSC", webhook=f"{receiver_urls[n]}/{name}")
            members.append((name, ROLES[n]))
        hospital = {"Authorization": f"Bearer {user('ed', Role.integration, 'B-ED')}"}
        numbers = synthetic_nhs_numbers(int(self.c.seconds * self.c.rate) + 1)

        def register(number: str) -> None:
            ref = http.post("/api/v1/young-people", headers=lead, json=young_person(number))
            ref.raise_for_status()
            for name, role in members:
                http.post(
                    f"/api/v1/young-people/{ref.json()['ref']}/care-team",
                    headers=lead,
                    json={"username": name, "role": role},
                ).raise_for_status()

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(register, numbers))
        return hospital, numbers

    def taken(self) -> list[Receipt]:
        return [receipt for receiver in self.receivers for receipt in receiver.taken]

    # faults
    def kill_a_worker(self) -> None:
        from rq import Worker

        workers = [p for p in self.procs if p.name.startswith("worker") and p.process and not p.killed]
        if not workers:
            return
        target = workers[0]
        try:
            busy = {w.pid for w in Worker.all(connection=self._redis()) if w.get_state() == "busy"}
            target = next((p for p in workers if p.process and p.process.pid in busy), target)
        except Exception:  # noqa: BLE001 - Redis may be away; any worker will do
            pass
        target.kill()
        target.restart_at = time.monotonic() + 1.0
        self.kill_times.append(time.time())
        self.report.kills += 1

    def _redis(self) -> Any:
        from redis import Redis

        return Redis.from_url(self.redis.url, socket_timeout=1, socket_connect_timeout=1)

    def watch(self, dt: float) -> None:
        """Restart what we killed when due; count what exited by itself (and start it again); sample the
        scheduler's presence."""
        now = time.monotonic()
        for proc in self.procs:
            if proc.process is None:
                continue
            if proc.restart_at is not None:
                if now >= proc.restart_at:
                    proc.start(self.env)
                continue
            code = proc.process.poll()
            if code is not None and not proc.killed:
                self.report.exits.append(f"{proc.name} ({code})")
                proc.restart_at = now + 1.0
        if self.redis_up and time.time() - self.redis_up_since > RECONNECT_GRACE:
            try:
                present = bool(self._redis().exists("liaison:retry-mover"))
            except Exception:  # noqa: BLE001
                present = True  # Redis itself is away: not the scheduler's absence
            if not present:
                self.report.scheduler_absent += dt

    def faults(self) -> list[tuple[float, str]]:
        s = self.c.seconds
        events = [((i + 0.5) / self.c.kills * s, "kill_worker") for i in range(self.c.kills)]
        events += [(0.3 * s, "redis_keep"), (0.62 * s, "redis_lose")]
        return sorted(events)

    # the run
    def run(self) -> Report:
        started = time.monotonic()
        try:
            http, hospital, numbers = self.setup()
            self.report.phases["setup"] = time.monotonic() - started
            posted = self.send(http, hospital, numbers)
            self.report.phases["send"] = time.monotonic() - started - self.report.phases["setup"]
            self.drain(posted)
            self.report.phases["drain"] = time.monotonic() - started - sum(self.report.phases.values())
            self.measure(posted)
        finally:
            for proc in self.procs:
                proc.stop()
            for receiver in self.receivers:
                receiver.stop()
            if self.redis is not None:
                self.redis.stop()
        self.report.elapsed = time.monotonic() - started
        self.report.workdir = str(self.workdir)
        for receiver in self.receivers:
            for answer, count in receiver.answers.items():
                self.report.answers[answer] = self.report.answers.get(answer, 0) + count
        return self.report

    def send(self, http: httpx.Client, hospital: dict[str, str], numbers: list[str]) -> dict[str, float]:
        posted: dict[str, float] = {}
        events = self.faults()
        redis_back: tuple[float, bool] | None = None
        total = int(self.c.seconds * self.c.rate)
        begin = time.monotonic()
        last = begin
        for i in range(total):
            due = begin + i / self.c.rate
            while True:
                now = time.monotonic()
                self.watch(now - last)
                last = now
                while events and now - begin >= events[0][0]:
                    _, what = events.pop(0)
                    if what == "kill_worker":
                        self.kill_a_worker()
                    elif redis_back is None:
                        self.kill_redis()
                        redis_back = (now + 3.0, what == "redis_keep")
                if redis_back is not None and now >= redis_back[0]:
                    self.start_redis(keep_data=redis_back[1])
                    self.report.redis_restarts.append(
                        "restarted keeping its data" if redis_back[1] else "restarted empty"
                    )
                    redis_back = None
                if now >= due:
                    break
                time.sleep(min(0.1, due - now))
            body = {
                "nhs_number": numbers[i],
                "arrived_at": "2026-11-28T09:25:00+00:00",
                "site_code": "RBT",
                "setting": "emergency_department",
                "reasons": ["injury"],
                "source": "chaos",
                "source_id": f"C{i}",
            }
            at = time.time()
            try:
                answer = http.post("/api/v1/attendances", headers=hospital, json=body)
                answer.raise_for_status()
                posted[answer.json()["young_person_ref"]] = at
            except httpx.HTTPError:
                self.report.not_accepted += 1
        if redis_back is not None:
            time.sleep(max(0.0, redis_back[0] - time.monotonic()))
            self.start_redis(keep_data=redis_back[1])
        return posted

    def _active(self) -> int:
        from sqlalchemy import text

        from services.kernel.db import session_scope

        with session_scope() as session:
            return int(
                session.scalar(
                    text("select count(*) from deliveries where status in ('pending','retrying','sending')")
                )
                or 0
            )

    def drain(self, posted: dict[str, float]) -> None:
        want = len(posted) * self.c.recipients
        deadline = time.monotonic() + self.c.bound * 2 + 60
        last = time.monotonic()
        while time.monotonic() < deadline:
            now = time.monotonic()
            self.watch(now - last)
            last = now
            seen = {(r.ref, r.user) for r in self.taken()}
            if len(seen) >= want and self._active() == 0:
                time.sleep(1.0)
                return
            time.sleep(0.5)

    def measure(self, posted: dict[str, float]) -> None:
        from sqlalchemy import text

        from schemas.settings import get_settings
        from services.kernel.db import session_scope
        from services.notifications.rules import retry_delay_seconds

        r = self.report
        users = [f"sw{n}" for n in range(self.c.recipients)]
        expected = {(ref, u) for ref in posted for u in users}
        r.expected = len(expected)
        by_pair: dict[tuple[str, str], list[Any]] = {}
        for receipt in self.taken():
            pair = (receipt.ref, receipt.user)
            if pair not in expected or receipt.kind != "attendance.alert":
                r.unexpected += 1
                continue
            by_pair.setdefault(pair, []).append(receipt)
        r.lost = len(expected - set(by_pair))
        for pair, receipts in by_pair.items():
            r.duplicates += len(receipts) - 1
            r.duplicates_seen += len({x.key for x in receipts}) - 1
            r.delays.append(min(x.at for x in receipts) - posted[pair[0]])
        cap = get_settings().delivery_retry_max_seconds
        outages = self._outage_windows()
        with session_scope() as session:
            rows = session.execute(
                text(
                    "select a.delivery_id, a.attempt, a.started_at, a.finished_at, a.outcome, a.error, "
                    "d.status from delivery_attempts a join deliveries d on d.id = a.delivery_id "
                    "order by a.delivery_id, a.attempt"
                )
            ).all()
        attempts: dict[int, list[Any]] = {}
        for row in rows:
            attempts.setdefault(row.delivery_id, []).append(row)
        for history in attempts.values():
            for before, after in zip(history, [*history[1:], None], strict=True):
                if before.outcome == "failed":
                    r.retries += 1
                    retry_after = 1.0 if before.error and "429" in before.error else None
                    delay = retry_delay_seconds(
                        attempt=before.attempt, base=self.c.retry_base, cap=cap, retry_after=retry_after
                    )
                    due = _ts(before.finished_at) + delay
                    if after is None:
                        r.retries_dropped += before.attempt < 12  # never tried again
                        continue
                    late = _ts(after.started_at) - due
                    if late > 5:
                        r.retries_late += 1
                        if late > 2 * self.c.sweep + 5 and not any(a <= due <= b for a, b in outages):
                            r.retries_dropped += 1
                elif before.outcome == "lost" and after is not None:
                    start = _ts(before.started_at)
                    kills = [k for k in self.kill_times if k >= start - 1]
                    if kills:
                        r.recoveries.append(_ts(after.started_at) - min(kills))

    def _outage_windows(self) -> list[tuple[float, float]]:
        """Redis's outages and the two sweeps after each: a retry due in one (its job lost with Redis's data,
        or not queued) waits for the sweep, which is the design, not a dropped retry."""
        return [(down, up + 2 * self.c.sweep + 5) for down, up in self.outages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--rate", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--recipients", type=int, default=2)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--short", action="store_true", help="timing bounds x3 (a loaded machine)")
    args = parser.parse_args(argv)
    config = Config(
        seconds=args.seconds,
        rate=args.rate,
        workers=args.workers,
        recipients=args.recipients,
        kills=args.kills,
        short=args.short,
        database_url=os.environ.get("DATABASE_URL"),
    )
    report = Chaos(config).run()
    for line in report.lines():
        print(line)
    failures = report.failures()
    print("FAIL: " + "; ".join(failures) if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
