"""One Telegram send budget for every worker process, kept in Redis by the `limits` library.

The Bot API allows about 30 messages a second in all and about 1 a second to one chat; past that it
answers 429 and, while `retry_after` lasts, refuses every call from the bot, not only to that chat. Each rq
job is its own process, so an in-process limiter (python-telegram-bot's AIORateLimiter) would give each of
them the whole budget: the budget lives in Redis instead, with a moving window per chat and one for all.

Over budget, a send is deferred (`RateLimited`, with how long to wait), never slept on inside a job.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis
from redis.exceptions import RedisError

from worker.channels.base import RateLimited

log = logging.getLogger(__name__)

PREFIX = "liaison:telegram-limit"
SHORTEST_WAIT = 0.05


class TelegramRateLimiter:
    def __init__(self, redis: Redis, *, overall_per_second: int, per_chat_per_second: int) -> None:
        storage = RedisStorage("redis://", connection_pool=redis.connection_pool, key_prefix=PREFIX)
        self.limiter = MovingWindowRateLimiter(storage)
        self.overall = RateLimitItemPerSecond(overall_per_second)
        self.per_chat = RateLimitItemPerSecond(per_chat_per_second)

    def acquire(self, chat_id: str) -> None:
        """Take one message from the chat's budget and the bot's, or raise RateLimited.

        The chat's budget is taken first: bursts to one person are the common case, and a refusal there
        then costs the other chats nothing. If Redis cannot be asked, the message goes anyway (an alert
        matters more than the budget; Telegram's own 429 is the backstop)."""
        try:
            if not self.limiter.hit(self.per_chat, "chat", chat_id):
                raise RateLimited(
                    "Telegram rate limit: one chat", retry_after=self._wait(self.per_chat, "chat", chat_id)
                )
            if not self.limiter.hit(self.overall, "all"):
                raise RateLimited(
                    "Telegram rate limit: all chats", retry_after=self._wait(self.overall, "all")
                )
        except RedisError as exc:
            log.warning("Telegram rate limiter unavailable, sending anyway: %s", exc)

    def _wait(self, item: RateLimitItem, *identifiers: str) -> float:
        reset_at = self.limiter.get_window_stats(item, *identifiers).reset_time
        return max(SHORTEST_WAIT, reset_at - time.time())
