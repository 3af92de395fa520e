"""Handing committed delivery intents to the rq queue. Failure here loses nothing: the sweeper re-drives
every delivery the database says is due, so the API never fails an attendance because Redis is away.

Job ids are `deliver-<deployment>-<delivery>-<attempt>`: deterministic within one database (queueing the
same attempt twice makes one job) and never the same as another database's. A Redis outlives databases (the
embedded one keeps its files in `.liaison/`; a restore brings delivery ids back), and a job id it still
holds would refuse the new job as a duplicate, leaving the alert to the sweeper.

A delivery is queued by the unit of work that made it, with nothing handed back by hand: every `Delivery`
inserted in a session is noted in `session.info` when it is flushed, the first attempt of each is queued
once the session's transaction commits (`enqueue_committed`), and the notes are dropped when it rolls
back. A delivery made in a savepoint that rolled back is not queued."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapper, Session, object_session

from schemas.settings import get_settings
from services.kernel.db import session_scope
from services.kernel.redis_conn import get_redis
from services.notifications.models import Delivery, Deployment

log = logging.getLogger(__name__)

QUEUE = "notifications"
DELIVER = "worker.jobs.deliver"
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600


# A job in one of these states will not run again: a new job may take its id (below).
FINISHED = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)

_deployments: dict[str, str] = {}  # database URL -> its deployment id, read once per process


def deployment_id() -> str:
    """This database's deployment id (migration 0015 makes it; made here if the row is gone)."""
    url = get_settings().database_url
    known = _deployments.get(url)
    if known is None:
        known = _read_or_make_deployment_id()
        _deployments[url] = known
    return known


def forget_deployment() -> None:
    """For tests that swap the database under a running process."""
    _deployments.clear()


def _read_or_make_deployment_id() -> str:
    with session_scope() as session:
        known = session.scalar(select(Deployment.deployment_id).where(Deployment.id == 1))
        if known is not None:
            return known
        made = uuid.uuid4().hex
        try:
            session.execute(insert(Deployment).values(id=1, deployment_id=made))  # committed by the scope
        except IntegrityError:  # another process made it first
            session.rollback()
            return session.scalars(select(Deployment.deployment_id).where(Deployment.id == 1)).one()
        return made


def job_id(delivery_id: int, attempts: int, suffix: str = "") -> str:
    """Deterministic within one database, so enqueueing the same attempt twice makes one job."""
    return f"deliver-{deployment_id()}-{delivery_id}-{attempts}" + (f"-{suffix}" if suffix else "")


def _forget_if_finished(redis: Redis, job_id: str) -> bool:
    """Delete the job of that id if it will never run again; True if it was deleted. Such a job (a
    database restored from a backup brings its delivery ids back, deployment id and all) must not stand
    in for a new one: the database says this attempt is still to be made."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return True
    if job.get_status(refresh=False) not in FINISHED:
        return False
    job.delete()
    return True


def not_before(at: datetime) -> datetime:
    """`at`, rounded up to a whole second. rq's scheduler keeps a job's time in whole seconds, rounded
    down, and moves it to the queue from that second on: a retry due at 12.7 s ran at 12.0 s, found itself
    not yet due ("nothing to do") and waited for the sweeper."""
    whole = at.replace(microsecond=0)
    return whole if whole == at else whole + timedelta(seconds=1)


def enqueue_delivery(
    redis: Redis, *, delivery_id: int, attempts: int, at: datetime | None = None, suffix: str = ""
) -> bool:
    """Queue one attempt of one delivery; False when an identical job is already waiting or running."""
    queue = Queue(QUEUE, connection=redis)
    options: dict[str, Any] = {
        "job_id": job_id(delivery_id, attempts, suffix),
        "unique": True,
        # Shorter than the claim's lease: a job still running can never overlap the sweeper's re-drive.
        "job_timeout": get_settings().delivery_job_timeout_seconds,
        "result_ttl": RESULT_TTL,
        "failure_ttl": FAILURE_TTL,
        "description": f"deliver {delivery_id} attempt {attempts + 1}",
    }
    if at is not None:
        at = not_before(at)
    for _ in range(2):
        try:
            if at is None:
                queue.enqueue(DELIVER, delivery_id, **options)
            else:
                queue.enqueue_at(at, DELIVER, delivery_id, **options)
            redis.set(_latest_key(delivery_id), options["job_id"], ex=FAILURE_TTL)
            return True
        except DuplicateJobError:
            if not _forget_if_finished(redis, options["job_id"]):
                return False
    return False


def _latest_key(delivery_id: int) -> str:
    return f"liaison:delivery-job:{deployment_id()}:{delivery_id}"


def job_waiting(redis: Redis, *, delivery_id: int) -> bool:
    """True when the delivery's latest job is still waiting in Redis to run: queued, or scheduled for its
    retry (the scheduler moves it when due). The sweeper then leaves it be: under a backlog it queued a
    second job for each delivery still in the queue. A job started, finished or gone is not waiting."""
    latest = redis.get(_latest_key(delivery_id))
    if latest is None:
        return False
    try:
        job = Job.fetch(latest.decode() if isinstance(latest, bytes) else str(latest), connection=redis)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.SCHEDULED)


def enqueue_committed(get_redis: Callable[[], Redis], delivery_ids: Iterable[int]) -> int:
    """Queue the first attempt of deliveries just committed; returns how many were queued. If Redis is
    unreachable the intents stay in the database and the sweeper sends them."""
    queued = 0
    try:
        redis = get_redis()
        for delivery_id in delivery_ids:
            queued += enqueue_delivery(redis, delivery_id=delivery_id, attempts=0)
    except (RedisError, RuntimeError, SQLAlchemyError) as exc:
        log.warning("could not queue deliveries now; the sweeper will re-drive them: %s", exc)
    return queued


MADE = "liaison.deliveries_made"
QUEUED = "liaison.deliveries_queued"


@event.listens_for(Delivery, "after_insert")
def _note_made(_mapper: Mapper[Delivery], _connection: Any, delivery: Delivery) -> None:
    session = object_session(delivery)
    if session is not None:
        session.info.setdefault(MADE, []).append(delivery)


@event.listens_for(Session, "after_commit")
def _queue_made(session: Session) -> None:
    made: list[Delivery] = session.info.pop(MADE, [])
    kept = [d.id for d in made if inspect(d).persistent or inspect(d).detached]
    if kept:
        session.info[QUEUED] = queued(session) + enqueue_committed(get_redis, kept)


@event.listens_for(Session, "after_rollback")
def _forget_made(session: Session) -> None:
    session.info.pop(MADE, None)


def made(session: Session) -> int:
    """How many deliveries this session's open transaction has made (to be queued when it commits)."""
    return sum(1 for d in session.info.get(MADE, []) if inspect(d).persistent)


def queued(session: Session) -> int:
    """How many first attempts this session's commits have queued so far (for a job's report)."""
    count: int = session.info.get(QUEUED, 0)
    return count
