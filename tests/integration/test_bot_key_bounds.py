"""What bounds the bot key (issue 13, 8): with BOT_API_ALLOWED_PEERS set, the key is refused from any other
address, so a key that leaks is of no use off the bot's host; and the key acts only as a chat that
redeemed a link code, never as an arbitrary user (docs/bot.md, "What bounds the bot key")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import _reset_settings
from tests.integration.bot.test_bot_auth import bot
from tests.integration.conftest import Case

pytestmark = pytest.mark.integration

BOT_HOST = "192.0.2.10"


@pytest.fixture
def from_bot_host(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=(BOT_HOST, 40000)) as on_bot_host:
        yield on_bot_host


def test_the_bot_key_is_refused_from_outside_the_bot_s_addresses(
    monkeypatch: pytest.MonkeyPatch, client: TestClient, from_bot_host: TestClient, case: Case
) -> None:
    monkeypatch.setenv("BOT_API_ALLOWED_PEERS", f"{BOT_HOST}/32, 2001:db8::/32")
    _reset_settings()
    linked = from_bot_host.post(
        "/api/v1/telegram/link", json={"code": case.social_worker.link_code}, headers=bot(4242)
    )
    assert linked.status_code == 200, linked.text
    assert from_bot_host.get("/api/v1/me", headers=bot(4242)).json()["username"] == "jsmith"

    elsewhere = client.get("/api/v1/me", headers=bot(4242))  # the right key, from another address
    assert elsewhere.status_code == 401
    assert "not accepted from this address" in elsewhere.json()["detail"]
    assert client.post("/api/v1/telegram/link", json={"code": "X"}, headers=bot(1)).status_code == 401
    assert (
        client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 200
    )  # bearer unaffected


def test_the_bot_key_acts_only_as_a_chat_that_redeemed_a_link_code(
    from_bot_host: TestClient, case: Case
) -> None:
    never_linked = from_bot_host.get(f"/api/v1/young-people/{case.ref}", headers=bot(999_001))
    assert never_linked.status_code == 401
    assert "not linked" in never_linked.json()["detail"]
