"""The bot's credential: derived from SECRET_KEY in development so every process agrees; in production it
must be set, long, and not SECRET_KEY, and without it the API accepts no bot calls."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.settings import Settings
from tests.unit.test_settings import SAFE, make

TOKEN = "123456:abc"  # noqa: S105 - a test value


pytestmark = pytest.mark.usefixtures("clean_environment")


def test_development_derives_one_key_from_the_secret_key() -> None:
    one, two = Settings(secret_key="a" * 40), Settings(secret_key="a" * 40)
    assert one.bot_key() == two.bot_key()
    assert one.bot_key() != Settings(secret_key="b" * 40).bot_key()
    assert one.bot_key() != "a" * 40
    assert Settings(bot_api_key="k" * 40).bot_key() == "k" * 40


def test_production_without_a_bot_key_accepts_no_bot_calls() -> None:
    assert make().bot_key() is None


def test_production_with_a_bot_token_requires_a_safe_bot_key() -> None:
    with pytest.raises(ValidationError, match="BOT_API_KEY must be set"):
        make(telegram_bot_token=TOKEN, telegram_api_base_url="https://api.telegram.org")
    with pytest.raises(ValidationError, match="BOT_API_KEY must be a random value"):
        make(bot_api_key="short")
    with pytest.raises(ValidationError, match="BOT_API_KEY must be a random value"):
        make(bot_api_key=SAFE["secret_key"])
    with pytest.raises(ValidationError, match="BOT_API_KEY must be a random value"):
        make(bot_api_key="k" * 40)  # long, but typed by hand
    key = "pL7-wZ2qN9xR4tY8vB1mK6sD3fH0jG5c_aEu"
    ok = make(telegram_bot_token=TOKEN, bot_api_key=key)
    assert ok.bot_key() == key


def test_the_bot_reaches_the_api_where_it_listens_unless_told() -> None:
    assert Settings(port=8123).api_base_url() == "http://127.0.0.1:8123"
    assert Settings(host="0.0.0.0").api_base_url() == "http://127.0.0.1:8000"
    assert Settings(bot_api_url="http://api:8000/").api_base_url() == "http://api:8000"
