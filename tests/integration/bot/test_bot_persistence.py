"""The bot's conversation state in a real Redis server: kept as JSON with a time to live, read back after a
restart, dropped when the conversation ends; and a bot with no Redis still runs, keeping state in-process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis import Redis

from bot.persistence import PREFIX, STATE_TTL, RedisPersistence
from tests.integration.bot.conftest import ApiServer, start_bot, stop_bot
from tests.integration.bot.steps import press
from tests.integration.bot.telegram_server import TelegramServer
from tests.integration.bot.test_bot_e2e import CHAT, link, say
from tests.integration.conftest import Case, World, add_care_coordinator


def test_state_is_kept_as_json_with_a_time_to_live_and_read_back_by_a_new_persistence(
    redis_url: str,
) -> None:
    async def write() -> None:
        kept = RedisPersistence.from_url(redis_url)
        await kept.update_user_data(42, {"discharge": {"ref": "YP-00000-00000", "plan_id": 3}})
        await kept.update_conversation("discharge", (42, 42), 4)
        await kept.update_conversation("transfer", (42, 42), 1)
        await kept.update_conversation("transfer", (42, 42), None)  # ended
        await kept.flush()

    async def read() -> tuple[object, object, object]:
        fresh = RedisPersistence.from_url(redis_url)
        try:
            return (
                await fresh.get_user_data(),
                await fresh.get_conversations("discharge"),
                await fresh.get_conversations("transfer"),
            )
        finally:
            await fresh.flush()

    asyncio.run(write())
    users, discharge, transfer = asyncio.run(read())
    assert users == {42: {"discharge": {"ref": "YP-00000-00000", "plan_id": 3}}}
    assert discharge == {(42, 42): 4} and transfer == {}

    raw = Redis.from_url(redis_url)
    keys = sorted(k.decode() for k in raw.scan_iter(match=f"{PREFIX}:*"))
    assert keys == [f"{PREFIX}:conversation:discharge:[42, 42]", f"{PREFIX}:user:42"]
    for key in keys:
        json.loads(raw.get(key) or b"")  # JSON, never pickle
        assert 0 < raw.ttl(key) <= STATE_TTL

    async def forget() -> None:
        kept = RedisPersistence.from_url(redis_url)
        await kept.update_user_data(42, {})
        with pytest.raises(TypeError):  # what JSON cannot hold is refused, never silently turned to text
            await kept.update_user_data(43, {"at": object()})
        await kept.flush()

    asyncio.run(forget())
    assert raw.get(f"{PREFIX}:user:42") is None


def test_without_redis_the_bot_still_runs_its_conversations_in_the_process(
    client: TestClient,
    case: Case,
    world: World,
    telegram: TelegramServer,
    api_server: ApiServer,
    tmp_path: Path,
) -> None:
    nurse = add_care_coordinator(client, world, case)
    bot = start_bot(telegram, api_server, tmp_path, CHAT_DETAIL="minimal", REDIS_URL="")
    try:
        link(telegram, CHAT, nurse.link_code)
        assert "has no discharge plan yet" in say(telegram, CHAT, f"/discharge {case.ref}")
        assert "Still missing" in press(telegram, CHAT, "dis:new", "Still missing")
    finally:
        stop_bot(bot)
    assert "REDIS_URL is not set: conversations are kept in this process only" in bot.output()
