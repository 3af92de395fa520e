"""`liaison scheduler`: the loop that keeps time for the stack, in one process that outlasts Redis outages.

Each tick (about a second) it
- moves retries whose time has come from rq's scheduled registry into the delivery queue. rq's own
  scheduler did this from inside one worker, holding a lock that outlived a killed worker by a minute and
  was looked for again only every ten minutes: retries waited minutes. Here the mover's lock lives
  MOVER_LOCK_SECONDS and is taken by another scheduler as soon as it lapses; two movers at once are
  harmless (a job run twice sends once: claims are conditional UPDATEs);
- every SWEEP_INTERVAL_SECONDS, runs the sweep in this process (worker.jobs.sweep): every delivery the
  database says is due whose job is not waiting in Redis is queued again (a Redis that lost its data, a
  worker killed mid-send, an API that could not reach Redis);
- queues the periodic jobs (escalation, needs, plans, transfers, the audit seal) on their own queue,
  `periodic`, which the workers take before deliveries, so a backlog of alerts never holds the chase up. Job
  ids name the interval slot, so two schedulers queue each run once.

A Redis or database error is logged and the loop goes on once the peer answers; it never exits on one."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from uuid import uuid4

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import Job
from sqlalchemy.exc import SQLAlchemyError

from schemas.settings import Settings, get_settings
from services.kernel.redis_conn import get_redis
from services.notifications.dispatch import QUEUE, deployment_id
from worker import jobs
from worker.outages import wait_for_redis

log = logging.getLogger(__name__)

PERIODIC_QUEUE = "periodic"
MOVER_LOCK = "liaison:retry-mover"
MOVER_LOCK_SECONDS = 3
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[[], int]
    interval: int


def periodic_jobs(settings: Settings) -> list[Periodic]:
    return [
        Periodic("escalate", jobs.escalate, settings.escalation_check_interval_seconds),
        Periodic("needs", jobs.check_needs_and_scores, settings.assessment_check_interval_seconds),
        Periodic("plans", jobs.check_plans, settings.plan_check_interval_seconds),
        Periodic("transfers", jobs.chase_transfers, settings.transfer_check_interval_seconds),
        Periodic("seal", jobs.seal_audit, settings.audit_seal_interval_seconds),
    ]


def _hold_mover_lock(redis: Redis, me: str) -> bool:
    if redis.set(MOVER_LOCK, me, nx=True, ex=MOVER_LOCK_SECONDS):
        return True
    if redis.get(MOVER_LOCK) == me.encode():
        redis.expire(MOVER_LOCK, MOVER_LOCK_SECONDS)
        return True
    return False


def move_due_retries(redis: Redis, *, me: str, now: float | None = None) -> int:
    """Move every delivery job whose scheduled time has come into the queue; returns how many."""
    if not _hold_mover_lock(redis, me):
        return 0
    queue = Queue(QUEUE, connection=redis)
    registry = queue.scheduled_job_registry
    ids = registry.get_jobs_to_schedule(int(now if now is not None else time.time()))
    if not ids:
        return 0
    found = Job.fetch_many(ids, connection=redis)
    moved = 0
    with redis.pipeline() as pipe:
        for job_id, job in zip(ids, found, strict=True):
            if job is not None:
                queue.enqueue_job(job, pipeline=pipe)
                moved += 1
            registry.remove(job_id, pipeline=pipe)
        pipe.execute()
    return moved


def queue_periodic(redis: Redis, task: Periodic, *, now: float) -> bool:
    """Queue one run of `task` for the interval slot `now` falls in (once, however many schedulers)."""
    slot = int(now) // task.interval
    try:
        Queue(PERIODIC_QUEUE, connection=redis).enqueue(
            task.func,
            job_id=f"periodic-{deployment_id()}-{task.name}-{slot}",
            unique=True,
            result_ttl=600,
            failure_ttl=24 * 3600,
            job_timeout=max(60, task.interval),
        )
    except DuplicateJobError:
        return False
    return True


class _Stop:
    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def run_scheduler(*, ticks: int | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `ticks` ticks, for tests)."""
    settings = get_settings()
    stop = _Stop()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    me = uuid4().hex
    tasks = periodic_jobs(settings)
    next_run = dict.fromkeys((t.name for t in tasks), 0.0)
    next_sweep = 0.0
    log.info("scheduler %s started: sweep every %s s", me, settings.sweep_interval_seconds)
    done = 0
    while not stop.requested and (ticks is None or done < ticks):
        done += 1
        now = time.time()
        try:
            redis = get_redis()
            move_due_retries(redis, me=me, now=now)
            for task in tasks:
                if now >= next_run[task.name]:
                    queue_periodic(redis, task, now=now)
                    next_run[task.name] = now + task.interval
            if now >= next_sweep:
                jobs.sweep()
                next_sweep = now + settings.sweep_interval_seconds
        except RedisError as exc:
            log.warning("scheduler: Redis is away (%s); carrying on when it answers", exc)
            wait_for_redis(get_redis(), stopping=lambda: stop.requested)
            continue
        except SQLAlchemyError as exc:
            log.warning("scheduler: the database is away (%s); trying again", exc)
        time.sleep(TICK_SECONDS)
    log.info("scheduler %s stopped", me)
