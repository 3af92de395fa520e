"""Processes that outlast a Redis outage. rq's work loop ends (code 1) on a Redis error; ours waits for
Redis to answer again and carries on, so a restarted or failed-over Redis never needs a person to restart
the workers or the scheduler. The database is the system of record: whatever an outage lost from Redis,
the scheduler's sweep queues again."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any
from uuid import uuid4

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.worker.base import BaseWorker

from worker.quick_stop import QuickStop

log = logging.getLogger(__name__)

WAIT_FIRST_SECONDS = 0.5
WAIT_MAX_SECONDS = 2.0


def wait_for_redis(redis: Redis, *, stopping: Callable[[], bool]) -> bool:
    """Block until Redis answers a PING (True) or `stopping()` says to give up (False). Polls with a back-off
    from WAIT_FIRST_SECONDS doubling to WAIT_MAX_SECONDS, so it is back within seconds of Redis."""
    pause = WAIT_FIRST_SECONDS
    while not stopping():
        try:
            redis.ping()
            return True
        except RedisError:
            time.sleep(pause)
            pause = min(WAIT_MAX_SECONDS, pause * 2)
    return False


class _StopFlag:
    """SIGINT/SIGTERM while waiting for Redis: stop (rq's own handlers would ask Redis first)."""

    def __init__(self) -> None:
        self.stopped = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.stopped = True

    def is_set(self) -> bool:
        return self.stopped


def wait_until_redis_or_signal(redis: Redis) -> bool:
    """wait_for_redis, stopping on SIGINT/SIGTERM (False then)."""
    flag = _StopFlag()
    signal.signal(signal.SIGINT, flag)
    signal.signal(signal.SIGTERM, flag)
    return wait_for_redis(redis, stopping=flag.is_set)


def _work_through_outages(
    worker: BaseWorker, work: Callable[..., bool], *, burst: bool, **kwargs: Any
) -> bool:
    worked = False
    while True:
        try:
            worked = work(burst=burst, with_scheduler=False, **kwargs) or worked
        except (RedisError, StopRequested) as exc:  # teardown's register_death, with Redis away
            log.warning("worker %s: %s", worker.name, exc)
        if burst or worker._stop_requested or getattr(worker, "signalled", False):  # noqa: SLF001
            return worked
        try:
            worker.unsubscribe()  # type: ignore[no-untyped-call]  # teardown stops short of it with Redis away
        except (RedisError, AttributeError):
            pass
        log.warning("worker %s: Redis is away; working on as soon as it answers", worker.name)
        if not wait_until_redis_or_signal(worker.connection):
            return worked
        # A new registration: a Redis that kept its data still holds the old one, never marked dead.
        worker.name = uuid4().hex
        worker._stop_requested = False  # noqa: SLF001
        log.warning("worker %s: Redis answers again, working on", worker.name)


class OutlastingSimpleWorker(QuickStop, SimpleWorker):
    """rq's SimpleWorker (jobs in its own process) that carries on after a Redis outage. It never runs rq's
    scheduler: retries are moved into the queue by `liaison scheduler` (worker/scheduler.py)."""

    # rq's wait for Redis while idle doubled up to 60 s: a worker came back up to half a minute after Redis.
    exponential_backoff_factor = 1.0
    max_connection_wait_time = WAIT_MAX_SECONDS

    signalled = False  # SIGINT/SIGTERM came: rq's idle worker raises out of its loop and records nothing

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.signalled = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def work(self, burst: bool = False, **kwargs: Any) -> bool:  # type: ignore[override]
        kwargs.pop("with_scheduler", None)
        return _work_through_outages(self, super().work, burst=burst, **kwargs)


class OutlastingWorker(QuickStop, Worker):
    """rq's forking Worker (a work horse per job) that carries on after a Redis outage (as above)."""

    exponential_backoff_factor = 1.0
    max_connection_wait_time = WAIT_MAX_SECONDS

    signalled = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.signalled = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def work(self, burst: bool = False, **kwargs: Any) -> bool:  # type: ignore[override]
        kwargs.pop("with_scheduler", None)
        return _work_through_outages(self, super().work, burst=burst, **kwargs)
