"""Handing committed delivery intents to the rq queue. Failure here loses nothing: the sweeper re-drives
every delivery the database says is due, so the API never fails an attendance because Redis is away.

A delivery is queued by the unit of work that made it, with nothing handed back by hand: every `Delivery`
inserted in a session is noted in `session.info` when it is flushed, the first attempt of each is queued
once the session's transaction commits (`enqueue_committed`), and the notes are dropped when it rolls
back. A delivery made in a savepoint that rolled back is not queued."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session, object_session

from schemas.settings import get_settings
from services.kernel.redis_conn import get_redis
from services.notifications.models import Delivery

log = logging.getLogger(__name__)

QUEUE = "notifications"
DELIVER = "worker.jobs.deliver"
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600


def job_id(delivery_id: int, attempts: int, suffix: str = "") -> str:
    """Deterministic, so enqueueing the same attempt twice makes one job."""
    return f"deliver-{delivery_id}-{attempts}" + (f"-{suffix}" if suffix else "")


def enqueue_delivery(
    redis: Redis, *, delivery_id: int, attempts: int, at: datetime | None = None, suffix: str = ""
) -> bool:
    """Queue one attempt of one delivery; False when an identical job already exists."""
    queue = Queue(QUEUE, connection=redis)
    options = {
        "job_id": job_id(delivery_id, attempts, suffix),
        "unique": True,
        # Shorter than the claim's lease: a job still running can never overlap the sweeper's re-drive.
        "job_timeout": get_settings().delivery_job_timeout_seconds,
        "result_ttl": RESULT_TTL,
        "failure_ttl": FAILURE_TTL,
        "description": f"deliver {delivery_id} attempt {attempts + 1}",
    }
    try:
        if at is None:
            queue.enqueue(DELIVER, delivery_id, **options)
        else:
            queue.enqueue_at(at, DELIVER, delivery_id, **options)
    except DuplicateJobError:
        return False
    return True


def enqueue_committed(get_redis: Callable[[], Redis], delivery_ids: Iterable[int]) -> int:
    """Queue the first attempt of deliveries just committed; returns how many were queued. If Redis is
    unreachable the intents stay in the database and the sweeper sends them."""
    queued = 0
    try:
        redis = get_redis()
        for delivery_id in delivery_ids:
            queued += enqueue_delivery(redis, delivery_id=delivery_id, attempts=0)
    except (RedisError, RuntimeError) as exc:
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
