"""The bot's credential on the API: a chat acts as its linked user, with that user's permissions, and
everything the API records for it says via=bot. Linking goes through an endpoint only the bot may call."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from schemas.enums import Role
from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.staff.models import User
from tests.integration.conftest import Case, World, attendance, audit_events

CHAT = 5550001
OTHER_CHAT = 5550002


def bot(chat: int | None, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bot {key or get_settings().bot_key()}"}
    if chat is not None:
        headers["X-Telegram-Chat-Id"] = str(chat)
    return headers


def link(client: TestClient, code: str, chat: int) -> tuple[int, dict[str, str]]:
    answer = client.post("/api/v1/telegram/link", json={"code": code}, headers=bot(chat))
    return answer.status_code, answer.json()


def test_a_linked_chat_acts_as_its_user_and_is_audited_via_bot(client: TestClient, case: Case) -> None:
    assert client.get("/api/v1/me", headers=bot(CHAT)).status_code == 401  # not linked yet

    status, body = link(client, case.social_worker.link_code, CHAT)
    assert status == 200
    assert body["username"] == "jsmith"
    me = client.get("/api/v1/me", headers=bot(CHAT)).json()
    assert me["username"] == "jsmith"
    assert me["telegram_linked"] is True

    read = client.get(f"/api/v1/young-people/{case.ref}", headers=bot(CHAT))
    assert read.status_code == 200
    [event] = audit_events(action="young_person.read")
    assert (event.actor_username, event.via, event.young_person_ref) == ("jsmith", "bot", case.ref)
    [linked] = audit_events(action="telegram.linked")
    assert (linked.actor_username, linked.via) == ("jsmith", "bot")


def test_a_bearer_caller_is_still_audited_via_api(client: TestClient, case: Case) -> None:
    client.get(f"/api/v1/young-people/{case.ref}", headers=case.social_worker.headers)
    [event] = audit_events(action="young_person.read")
    assert event.via == "api"


def test_a_wrong_bot_key_or_chat_id_is_refused(client: TestClient, case: Case) -> None:
    link(client, case.social_worker.link_code, CHAT)
    assert client.get("/api/v1/me", headers=bot(CHAT, key="x" * 64)).status_code == 401
    assert client.get("/api/v1/me", headers=bot(None)).status_code == 401
    assert client.get("/api/v1/me", headers={**bot(None), "X-Telegram-Chat-Id": "abc"}).status_code == 401
    assert client.get("/api/v1/me", headers=bot(OTHER_CHAT)).status_code == 401


def test_only_the_bot_may_redeem_link_codes(client: TestClient, case: Case) -> None:
    code = case.social_worker.link_code
    as_person = client.post("/api/v1/telegram/link", json={"code": code}, headers=case.lead.headers)
    assert as_person.status_code == 401
    wrong_key = client.post("/api/v1/telegram/link", json={"code": code}, headers=bot(CHAT, key="y" * 64))
    assert wrong_key.status_code == 401
    assert link(client, code, CHAT)[0] == 200


def test_used_unknown_and_expired_codes_get_clear_refusals(
    client: TestClient, case: Case, world: World
) -> None:
    assert link(client, case.social_worker.link_code, CHAT)[0] == 200
    status, body = link(client, case.social_worker.link_code, OTHER_CHAT)
    assert status == 404
    assert "already used" in body["detail"]
    assert link(client, "NOTACODE99", OTHER_CHAT)[0] == 404

    with session_scope() as session:
        session.execute(
            update(User).where(User.username == "hosp").values(link_code_expires_at=utcnow() - timedelta(1))
        )
    status, body = link(client, case.hospital.link_code, OTHER_CHAT)
    assert status == 410
    assert "expired" in body["detail"]
    assert client.get("/api/v1/me", headers=bot(OTHER_CHAT)).status_code == 401


def test_relinking_a_chat_moves_it_to_the_new_user(client: TestClient, case: Case) -> None:
    link(client, case.social_worker.link_code, CHAT)
    link(client, case.hospital.link_code, CHAT)
    assert client.get("/api/v1/me", headers=bot(CHAT)).json()["username"] == "hosp"
    assert client.get("/api/v1/me", headers=case.social_worker.headers).json()["telegram_linked"] is False
    [unlinked] = audit_events(action="telegram.unlinked")
    assert unlinked.actor_username == "jsmith"


def test_a_chat_cannot_acknowledge_someone_elses_notification(
    client: TestClient, case: Case, world: World
) -> None:
    world.team("RBT-PSY", la=None)
    outsider = world.user("doc", role=Role.clinician, team="RBT-PSY")
    link(client, outsider.link_code, CHAT)
    assert (
        client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers).status_code
        == 202
    )
    [notification] = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()

    refused = client.post(f"/api/v1/notifications/{notification['id']}/acknowledge", headers=bot(CHAT))
    assert refused.status_code == 403
    [denied] = audit_events(action="notification.acknowledge", outcome="denied")
    assert (denied.actor_username, denied.via) == ("doc", "bot")
    still = client.get(f"/api/v1/notifications/{notification['id']}", headers=case.social_worker.headers)
    assert still.json()["acknowledged_at"] is None


def test_no_route_hard_codes_how_the_caller_came() -> None:
    """Routes pass `principal.via`, so bot calls are recorded as via=bot (a guard for new routes)."""
    services = Path(__file__).parents[2] / "services"
    offenders = [
        str(path.relative_to(services))
        for path in services.rglob("*.py")
        if path.name.endswith("routes.py") or path.name == "deps.py"
        if re.search(r"via=Via\.api\b", path.read_text())
    ]
    assert offenders == []
