"""Entry points for the worker and the scheduler processes."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Literal

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.timeouts import JobTimeoutException
from rq.worker_pool import WorkerPool
from sqlalchemy.orm import configure_mappers

from services.kernel.clock import utcnow
from services.kernel.db import close_pooled_connections, session_scope
from services.kernel.redis_conn import get_redis
from services.notifications import delivery
from services.notifications.dispatch import QUEUE
from worker.outages import OutlastingSimpleWorker, OutlastingWorker, wait_until_redis_or_signal
from worker.scheduler import PERIODIC_QUEUE
from worker.scheduler import run_scheduler as run_scheduler

log = logging.getLogger(__name__)

WORKER_CLASSES: dict[str, type[Worker] | type[SimpleWorker]] = {
    "simple": OutlastingSimpleWorker,
    "fork": OutlastingWorker,
}
# The periodic jobs first: a backlog of alerts never holds up the sweep of what it left or the chase.
QUEUES = [PERIODIC_QUEUE, QUEUE]


def after_timeout(
    job: Job, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> bool:
    """rq exception handler. A job timeout (SIGALRM) may interrupt a statement half-way through the
    database protocol; in a worker that keeps its connections (WORKER_MODE=simple) the next job must not
    inherit that connection, so the pooled ones are closed. The engine and its compiled SQL stay."""
    if isinstance(exc, JobTimeoutException):
        log.warning("job %s timed out: closing this worker's pooled database connections", job.id)
        close_pooled_connections()
    return True  # let rq's own handling (move to failed) go on


def run_worker(
    *, burst: bool = False, processes: int = 1, mode: Literal["simple", "fork"] = "simple"
) -> None:
    """rq workers on the periodic and notifications queues. Each carries on by itself after a Redis outage
    (worker/outages.py); none runs rq's scheduler: `liaison scheduler` moves retries into the queue. One
    worker runs in this process; more are rq's WorkerPool, which forks them from this warmed process and
    starts a new one if one dies.

    `mode` simple (the default): each worker runs its jobs itself, keeping its database connection, Redis
    connection and compiled SQL from job to job. fork: rq forks a work horse per job, whose state dies with
    it. Either way rq interrupts a job at its timeout, and a delivery whose worker died is re-driven by the
    sweeper once its claim's lease runs out (docs/performance.md)."""
    import services.models  # noqa: F401 - preload before forking, so each job starts fast

    # Whatever is left lazy here is paid for again by every forked work horse (mode fork) or by every
    # worker of the pool: configuring the mappers took ~40 ms of each delivery (docs/performance.md).
    configure_mappers()
    with session_scope() as session:  # also warms the engine: a forked job then only opens a connection
        delivery.warm_up(session, now=utcnow())
    worker_class = WORKER_CLASSES[mode]
    redis = get_redis()
    if processes > 1:
        WorkerPool(
            QUEUES,
            connection=redis,
            num_workers=processes,
            worker_class=worker_class,
            exception_handlers=[after_timeout],
        ).start(burst=burst, logging_level="INFO")
        return
    while True:  # rq's worker asks Redis for its name as it is made: a worker started in an outage waits
        try:
            worker = worker_class(
                [Queue(name, connection=redis) for name in QUEUES],
                connection=redis,
                exception_handlers=[after_timeout],
            )
            break
        except RedisError as exc:
            log.warning("worker: Redis is away (%s); starting when it answers", exc)
            if not wait_until_redis_or_signal(redis):
                return
    worker.work(burst=burst, logging_level="INFO")
