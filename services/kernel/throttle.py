"""A budget of failed attempts per key (a client address, a chat), kept in Redis by the `limits` library so
every API process counts the same attempts: past it, the caller is refused with 429 before anything is
checked, until the window has moved on. Only failures are counted: a person who signs in once an hour
is never slowed, a guesser is.

If Redis cannot be asked, the attempt goes on unthrottled (the check it guards still refuses a wrong
token or code; the limit only slows guessing) and that is logged."""

from __future__ import annotations

import logging
import time

from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from schemas.settings import get_settings
from services.kernel.redis_conn import RedisNotConfigured

log = logging.getLogger(__name__)

PREFIX = "liaison:failures"
_limiters: dict[str, MovingWindowRateLimiter] = {}


def _limiter() -> MovingWindowRateLimiter:
    """One limiter a Redis URL, made once, on a connection pool of its own: a `limits` storage made per
    call on the shared pool closed that pool's connections when it was collected, rq's pub/sub one
    included (which then hung a worker's teardown for a minute)."""
    url = get_settings().redis_url
    if not url:
        raise RedisNotConfigured("REDIS_URL is not set")
    if url not in _limiters:
        storage = RedisStorage(url, key_prefix=PREFIX, socket_timeout=5, socket_connect_timeout=5)
        _limiters[url] = MovingWindowRateLimiter(storage)
    return _limiters[url]


class Throttle:
    """Failed attempts of one kind (`name`), at most `limit` (a `limits` string: "20/minute") per key."""

    def __init__(self, name: str, limit: str) -> None:
        self.name = name
        self.item: RateLimitItem = parse(limit)

    def wait(self, key: str) -> float | None:
        """Seconds until `key` may try again, or None when it is within its budget."""
        try:
            limiter = _limiter()
            if limiter.test(self.item, self.name, key):
                return None
            reset_at = limiter.get_window_stats(self.item, self.name, key).reset_time
        except (RedisError, RedisNotConfigured) as exc:
            log.warning("failure throttle %s unavailable, not limiting: %s", self.name, exc)
            return None
        return max(1.0, reset_at - time.time())

    def failed(self, key: str) -> None:
        """Count one failed attempt against `key`."""
        try:
            _limiter().hit(self.item, self.name, key)
        except (RedisError, RedisNotConfigured) as exc:
            log.warning("failure throttle %s unavailable, not counting: %s", self.name, exc)
