"""Guessing is slowed (issue 13, 8): bad bearer tokens are counted per client address and wrong Telegram
link codes per chat (and per address), in Redis, so every API process counts the same attempts. Past the
budget the caller gets 429 with Retry-After before anything is looked up; other addresses and chats are
untouched, and so is a caller who never got one wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import _reset_settings
from tests.integration.bot.test_bot_auth import bot
from tests.integration.conftest import Case

pytestmark = pytest.mark.integration


@pytest.fixture
def budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_FAILURES_PER_MINUTE", "3")
    monkeypatch.setenv("LINK_CODE_FAILURES_PER_HOUR", "2")
    _reset_settings()


@pytest.fixture
def elsewhere(app: FastAPI) -> Iterator[TestClient]:
    """A second caller, from another address."""
    with TestClient(app, client=("198.51.100.7", 40000)) as other:
        yield other


def me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_bad_tokens_from_one_address_are_answered_429_past_the_budget_and_others_go_on(
    budgets: None, client: TestClient, elsewhere: TestClient, case: Case
) -> None:
    good = case.social_worker.token
    assert [me(client, f"guess-{n}") for n in range(3)] == [401, 401, 401]
    refused = client.get("/api/v1/me", headers={"Authorization": "Bearer guess-4"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert me(client, "guess-6") == 429  # every further guess from that address is slowed
    assert me(client, good) == 200  # a valid token from the same address (one hospital gateway) goes on
    assert me(elsewhere, good) == 200  # another address is not
    assert me(elsewhere, "guess-5") == 401


def test_good_tokens_never_use_up_the_budget(budgets: None, client: TestClient, case: Case) -> None:
    assert {me(client, case.social_worker.token) for _ in range(10)} == {200}
    assert me(client, "guess") == 401


def link(client: TestClient, code: str, chat: int) -> int:
    return client.post("/api/v1/telegram/link", json={"code": code}, headers=bot(chat)).status_code


def test_wrong_link_codes_are_answered_429_per_chat_past_the_budget(
    budgets: None, client: TestClient, case: Case
) -> None:
    assert [link(client, "AAAA-AAAA", 7001), link(client, "BBBB-BBBB", 7001)] == [404, 404]
    assert link(client, case.social_worker.link_code, 7001) == 429  # even the right one, from this chat
    assert link(client, case.social_worker.link_code, 7002) == 200  # another chat redeems it


def test_wrong_link_codes_are_also_bounded_per_address_across_chats(
    monkeypatch: pytest.MonkeyPatch, client: TestClient, case: Case
) -> None:
    monkeypatch.setenv("LINK_CODE_FAILURES_PER_HOUR", "1")  # 10 an hour from one address
    _reset_settings()
    assert {link(client, "CCCC-CCCC", 8000 + n) for n in range(10)} == {404}
    assert link(client, "DDDD-DDDD", 9999) == 429  # a fresh chat, the same address
