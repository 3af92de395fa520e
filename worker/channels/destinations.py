"""Per-destination isolation for webhooks: at most WEBHOOK_MAX_IN_FLIGHT_PER_RECEIVER sends in flight to
one receiving system (scheme, host and port) across every worker process, counted in Redis.

One slow receiver used to hold every worker for its whole timeout in turn, and everyone else's alerts
waited behind it. Past its share, a send to that receiver is deferred (`RateLimited`: the claim is given
back, nothing counts as an attempt, and the scheduler queues it again a second later), so the workers go
on with other receivers' alerts. An entry left by a killed worker lapses after `hold_seconds`. If Redis
cannot be asked the send goes anyway: an alert matters more than the share."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit
from uuid import uuid4

from redis import Redis
from redis.exceptions import RedisError

from worker.channels.base import RateLimited

log = logging.getLogger(__name__)

PREFIX = "liaison:in-flight:"
WAIT_SECONDS = 1.0


def receiver_of(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


class DestinationSlots:
    def __init__(self, redis: Redis, *, limit: int, hold_seconds: float) -> None:
        self.redis = redis
        self.limit = limit
        self.hold_seconds = hold_seconds

    @contextmanager
    def slot(self, address: str) -> Iterator[None]:
        """Hold one of the receiver's slots while the body runs, or raise RateLimited."""
        receiver = receiver_of(address)
        key = PREFIX + receiver
        token = uuid4().hex
        now = time.time()
        try:
            with self.redis.pipeline() as pipe:
                pipe.zremrangebyscore(key, "-inf", now - self.hold_seconds)
                pipe.zadd(key, {token: now})
                pipe.zrank(key, token)
                pipe.expire(key, int(self.hold_seconds) + 1)
                rank = pipe.execute()[2]
        except RedisError as exc:
            log.warning("in-flight count unavailable, sending anyway: %s", exc)
            yield
            return
        if rank is not None and int(rank) >= self.limit:
            self._release(key, token)
            raise RateLimited(
                f"webhook receiver {receiver} already has {self.limit} sends in flight",
                retry_after=WAIT_SECONDS,
            )
        try:
            yield
        finally:
            self._release(key, token)

    def _release(self, key: str, token: str) -> None:
        try:
            self.redis.zrem(key, token)
        except RedisError:
            pass  # it lapses after hold_seconds
