"""Webhook and Telegram transports against real HTTP servers on loopback ports, and a webhook end to end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Role
from services.kernel.security import verify
from tests.integration.conftest import YOUNG_PERSON, World, attendance, run_worker
from worker.channels.base import TransportError
from worker.channels.telegram import TelegramTransport
from worker.channels.webhook import SIGNATURE_HEADER, WebhookTransport
from worker.messages import attendance_alert

SECRET = "a-webhook-secret-of-enough-length-0123456789"
REF = "YP-7KQ2M-9XW4T"
MESSAGE = attendance_alert(
    notification_id=42, young_person_ref=REF, public_base_url="https://liaison.example.org"
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers every POST with `status`, `headers` and `body`, and records what it was sent."""

    url: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"{}"
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", 0))
            state.received.append(Received(self.path, dict(self.headers), self.rfile.read(length)))
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_posts_the_ref_only_signed_with_the_secret(receiver: Receiver) -> None:
    WebhookTransport(secret=SECRET, timeout=5).send(address=receiver.url + "/alerts", message=MESSAGE)
    [got] = receiver.received
    assert got.path == "/alerts"
    assert json.loads(got.body) == {
        "type": "attendance.alert",
        "notification_id": 42,
        "young_person_ref": REF,
        "acknowledge_url": "https://liaison.example.org/api/v1/notifications/42/acknowledge",
    }
    assert got.headers["Idempotency-Key"] == "liaison-notification-42"
    timestamp, mac = (part.split("=", 1)[1] for part in got.headers[SIGNATURE_HEADER].split(","))
    assert verify(SECRET, f"{timestamp}.{got.body.decode()}", mac)
    assert not verify("another-secret", f"{timestamp}.{got.body.decode()}", mac)
    assert not verify(SECRET, f"{timestamp}.{got.body.decode().replace(REF, 'YP-XXXXX-XXXXX')}", mac)


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after"),
    [
        (500, {}, False, None),
        (503, {"Retry-After": "120"}, False, 120.0),
        (410, {}, True, None),
        (404, {}, True, None),
        (429, {"Retry-After": "30"}, False, 30.0),
    ],
)
def test_webhook_failures_are_classified(
    receiver: Receiver, status: int, headers: dict[str, str], permanent: bool, retry_after: float | None
) -> None:
    receiver.status, receiver.headers = status, headers
    with pytest.raises(TransportError) as raised:
        WebhookTransport(secret=SECRET, timeout=5).send(address=receiver.url, message=MESSAGE)
    assert (raised.value.permanent, raised.value.retry_after) == (permanent, retry_after)
    assert str(status) in str(raised.value)


def test_webhook_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.status, receiver.headers = 302, {"Location": "http://169.254.169.254/"}
    with pytest.raises(TransportError):
        WebhookTransport(secret=SECRET, timeout=5).send(address=receiver.url, message=MESSAGE)
    assert len(receiver.received) == 1


def test_an_unreachable_webhook_is_transient() -> None:
    with pytest.raises(TransportError) as raised:
        WebhookTransport(secret=SECRET, timeout=2).send(address="http://127.0.0.1:9/", message=MESSAGE)
    assert not raised.value.permanent


def _telegram(receiver: Receiver) -> TelegramTransport:
    return TelegramTransport(token="123:secret-token", base_url=receiver.url + "/", timeout=5)


def test_telegram_sends_the_ref_with_an_acknowledge_button(receiver: Receiver) -> None:
    receiver.body = json.dumps({"ok": True, "result": {"message_id": 1}}).encode()
    _telegram(receiver).send(address="987654321", message=MESSAGE)
    [got] = receiver.received
    assert got.path == "/bot123:secret-token/sendMessage"
    form = {k: v[0] for k, v in parse_qs(got.body.decode()).items()}
    assert form["chat_id"] == "987654321"
    assert REF in form["text"] and len(form["text"]) <= 4096
    assert form["protect_content"] == "true"
    [[button]] = json.loads(form["reply_markup"])["inline_keyboard"]
    assert button == {"text": "Acknowledge", "callback_data": "ack:42"}


def test_telegram_flood_control_carries_retry_after(receiver: Receiver) -> None:
    receiver.status = 429
    receiver.body = json.dumps(
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 17",
            "parameters": {"retry_after": 17},
        }
    ).encode()
    with pytest.raises(TransportError) as raised:
        _telegram(receiver).send(address="1", message=MESSAGE)
    assert (raised.value.permanent, raised.value.retry_after) == (False, 17.0)


def test_telegram_blocked_by_the_user_is_permanent(receiver: Receiver) -> None:
    receiver.status = 403
    receiver.body = json.dumps(
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    ).encode()
    with pytest.raises(TransportError) as raised:
        _telegram(receiver).send(address="1", message=MESSAGE)
    assert raised.value.permanent
    assert "blocked" in str(raised.value)


def test_telegram_server_error_is_transient(receiver: Receiver) -> None:
    receiver.status, receiver.body = 502, b"<html>bad gateway</html>"
    with pytest.raises(TransportError) as raised:
        _telegram(receiver).send(address="1", message=MESSAGE)
    assert not raised.value.permanent


def test_an_alert_reaches_a_webhook_end_to_end(
    client: TestClient, world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.team("CEC-CSC")
    world.team("CEC-SG")
    world.team("RBT-LIA", la=None)
    lead = world.user("lead", role=Role.safeguarding_lead, team="CEC-SG")
    worker = world.user("jsmith", role=Role.social_worker, team="CEC-CSC", webhook=receiver.url + "/hook")
    hospital = world.user("hosp", role=Role.liaison, team="RBT-LIA")
    ref = client.post("/api/v1/young-people", json=YOUNG_PERSON, headers=lead.headers).json()["ref"]
    client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "jsmith", "role": "lead_social_worker"},
        headers=lead.headers,
    )
    assert client.post("/api/v1/attendances", json=attendance(), headers=hospital.headers).status_code == 202
    run_worker()
    [got] = receiver.received
    body = json.loads(got.body)
    assert body["young_person_ref"] == ref
    assert "9990000018" not in got.body.decode() and "Alex" not in got.body.decode()
    [notification] = client.get("/api/v1/notifications", headers=worker.headers).json()
    assert notification["id"] == body["notification_id"]
    assert notification["status"] == "delivered"
    assert [(d["channel"], d["status"]) for d in notification["deliveries"]] == [("webhook", "delivered")]
    # The recipient's own signed Acknowledge page (issue 8): it opens without a token, on this alert.
    link = body["acknowledge_link"]
    assert link.startswith("http://127.0.0.1:8000/alerts/acknowledge/")
    page = client.get("/" + link.split("/", 3)[3])
    assert page.status_code == 200 and ref in page.text and "Alert number" in page.text
