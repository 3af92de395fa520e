"""A budget of failed attempts per key (a client address, a chat), counted in Redis so every API process
counts the same attempts: past it, the caller is refused with 429 before anything is checked, until the
window ends. Only failures are counted: a person who signs in once an hour is never slowed, a guesser is.

A fixed window per key (SET NX with the window's expiry on the first failure, then INCR): the same
count in every process with one round trip, and a key that expires by itself. If Redis cannot be asked,
the attempt goes on unthrottled (the check it guards still refuses a wrong token or code; the limit only
slows guessing), and that is logged."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from services.kernel.redis_conn import RedisNotConfigured, get_redis

log = logging.getLogger(__name__)

PREFIX = "liaison:failures"


class Throttle:
    """Failed attempts of one kind (`name`): at most `limit` per key in each window of `window_seconds`."""

    def __init__(self, name: str, *, limit: int, window_seconds: int) -> None:
        self.name = name
        self.limit = limit
        self.window = window_seconds

    def _key(self, key: str) -> str:
        return f"{PREFIX}:{self.name}:{key}"

    def wait(self, key: str) -> float | None:
        """Seconds until `key` may try again, or None when it is within its budget."""
        try:
            redis = get_redis()
            count = redis.get(self._key(key))
            if count is None or int(count) < self.limit:
                return None
            ttl = int(redis.ttl(self._key(key)))
        except (RedisError, RedisNotConfigured) as exc:
            log.warning("failure throttle %s unavailable, not limiting: %s", self.name, exc)
            return None
        return float(max(1, ttl))

    def failed(self, key: str) -> None:
        """Count one failed attempt against `key` (the window starts at the first)."""
        try:
            redis = get_redis()
            with redis.pipeline() as pipe:  # SET NX EX then INCR: the window starts once (any Redis)
                pipe.set(self._key(key), 0, ex=self.window, nx=True)
                pipe.incr(self._key(key))
                pipe.execute()
        except (RedisError, RedisNotConfigured) as exc:
            log.warning("failure throttle %s unavailable, not counting: %s", self.name, exc)
