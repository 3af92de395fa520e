"""Entry points for the worker and the scheduler processes."""

from __future__ import annotations

import logging

from rq import Queue, Worker
from rq.cron import CronScheduler
from rq.worker_pool import WorkerPool
from sqlalchemy.orm import configure_mappers

from schemas.settings import get_settings
from services.clock import utcnow
from services.db import session_scope
from services.notifications import delivery
from services.notifications.dispatch import QUEUE
from services.redis_conn import get_redis
from worker import jobs

log = logging.getLogger(__name__)


def run_worker(*, burst: bool = False, processes: int = 1) -> None:
    """rq workers on the notifications queue, with rq's scheduler for delayed retries (one of them holds
    its lock). One worker runs in this process; more are rq's WorkerPool, which forks them from this warmed
    process and starts a new one if one dies."""
    import services.models  # noqa: F401 - preload before forking, so each job starts fast

    # rq forks a work horse per job and the horse's state dies with it: whatever is left lazy here is paid
    # for again by every job. Configuring the mappers took ~40 ms of each delivery (docs/performance.md).
    configure_mappers()
    with session_scope() as session:  # also warms the engine: each forked job then only opens a connection
        delivery.warm_up(session, now=utcnow())
    redis = get_redis()
    if processes > 1:
        WorkerPool([QUEUE], connection=redis, num_workers=processes, worker_class=Worker).start(
            burst=burst, logging_level="INFO"
        )
        return
    worker = Worker([Queue(QUEUE, connection=redis)], connection=redis)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def run_scheduler() -> None:
    """Periodic jobs: the sweeper that re-drives undelivered alerts, the chase of unacknowledged attendance
    alerts, the check for overdue unmet needs and needs assessments due a re-score, the check for care
    plans due a review and discharge plans not yet distributed within 24 h, and the chase of transfers
    between local authorities not accepted in time, and the sealing of new audit events into the audit
    trail's hash chain."""
    settings = get_settings()
    scheduler = CronScheduler(connection=get_redis())
    scheduler.register(jobs.sweep, QUEUE, interval=settings.sweep_interval_seconds, result_ttl=600)
    scheduler.register(
        jobs.escalate, QUEUE, interval=settings.escalation_check_interval_seconds, result_ttl=600
    )
    scheduler.register(
        jobs.check_needs_and_scores,
        QUEUE,
        interval=settings.assessment_check_interval_seconds,
        result_ttl=600,
    )
    scheduler.register(jobs.check_plans, QUEUE, interval=settings.plan_check_interval_seconds, result_ttl=600)
    scheduler.register(
        jobs.chase_transfers, QUEUE, interval=settings.transfer_check_interval_seconds, result_ttl=600
    )
    scheduler.register(jobs.seal_audit, QUEUE, interval=settings.audit_seal_interval_seconds, result_ttl=600)
    scheduler.start()  # type: ignore[no-untyped-call]
