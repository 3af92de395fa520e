"""Where a conversation is, kept in Redis so a clinician mid-checklist carries on after the bot restarts.

A python-telegram-bot `BasePersistence` that keeps two things, as JSON (never pickle), each under its own
key with a time to live (`STATE_TTL`): every conversation's state (`ConversationHandler(persistent=True)`)
and each user's `user_data` (the conversation's working notes: the ref, the plan or transfer id, the step).
Nothing else is kept: `bot_data` holds the API client and is built at start, chat data and callback data
are not used. Redis is transport, not a record: everything a clinician says is saved through the API at
once, and state that expires only means `/discharge REF` (or the like) starts again from what the API holds.

PTB writes to the persistence every `update_interval` seconds and when the application stops (SIGTERM),
and reads it once when it starts.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

STATE_TTL = 7 * 24 * 3600  # a conversation left for a week is forgotten (its answers are in liaison)
PREFIX = "liaison:bot"
JSON = dict[str, Any]


class RedisPersistence(BasePersistence[JSON, JSON, JSON]):
    def __init__(self, redis: Redis, *, prefix: str = PREFIX, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self._redis = redis
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisPersistence:
        return cls(Redis.from_url(url), **kwargs)

    def _user_key(self, user_id: int) -> str:
        return f"{self._prefix}:user:{user_id}"

    def _conversation_key(self, name: str, key: ConversationKey | None = None) -> str:
        base = f"{self._prefix}:conversation:{name}:"
        return base if key is None else base + json.dumps(list(key))

    async def _scan(self, pattern: str) -> list[str]:
        return [k.decode() if isinstance(k, bytes) else k async for k in self._redis.scan_iter(match=pattern)]

    # -- user data -----------------------------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, JSON]:
        found: dict[int, JSON] = {}
        for key in await self._scan(self._user_key(0)[:-1] + "*"):
            raw = await self._redis.get(key)
            if raw is not None:
                found[int(key.rsplit(":", 1)[1])] = json.loads(raw)
        return found

    async def update_user_data(self, user_id: int, data: JSON) -> None:
        if data:
            await self._redis.set(self._user_key(user_id), json.dumps(data), ex=STATE_TTL)
        else:
            await self._redis.delete(self._user_key(user_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._redis.delete(self._user_key(user_id))

    async def refresh_user_data(self, user_id: int, user_data: JSON) -> None:
        """Nothing to do: user data is read once at start and this process is its only writer."""

    # -- conversations -------------------------------------------------------------------------------------
    async def get_conversations(self, name: str) -> ConversationDict:
        base = self._conversation_key(name)
        found: dict[ConversationKey, object] = {}
        for key in await self._scan(base + "*"):
            raw = await self._redis.get(key)
            if raw is not None:
                found[tuple(json.loads(key[len(base) :]))] = json.loads(raw)
        return found

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        where = self._conversation_key(name, key)
        if new_state is None:
            await self._redis.delete(where)
        else:
            await self._redis.set(where, json.dumps(new_state), ex=STATE_TTL)

    # -- what is not kept ----------------------------------------------------------------------------------
    async def get_chat_data(self) -> dict[int, JSON]:
        return {}

    async def update_chat_data(self, chat_id: int, data: JSON) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: JSON) -> None:
        return None

    async def get_bot_data(self) -> JSON:
        return {}

    async def update_bot_data(self, data: JSON) -> None:
        return None

    async def refresh_bot_data(self, bot_data: JSON) -> None:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def flush(self) -> None:
        await self._redis.aclose()
