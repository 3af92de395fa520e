"""`/healthz` says the process is up and `/readyz` that the database and Redis are reachable, both without
a token; with Redis away the API is up but not ready."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.app import create_app
from tests.conftest import _reset_settings
from tests.integration.conftest import _free_port

pytestmark = pytest.mark.integration


def test_health_and_readiness_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_with_redis_away_the_api_is_up_but_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    _reset_settings()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["redis"].startswith("unreachable")
