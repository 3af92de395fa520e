"""An alert email's Acknowledge link: opening it shows the alert by ref and one button and acknowledges
nothing; pressing it acknowledges as that recipient (via=email) without signing in; then the record needs
sign-in. Expired, tampered and someone else's links are refused with a clear page."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications import links
from services.notifications.models import Notification
from services.staff.models import User
from tests.integration.conftest import Case, Mailbox, attendance, audit_events, run_worker
from tests.integration.web.helpers import ACK_LINK, post_form


def _alert_link(client: TestClient, case: Case, mailbox: Mailbox) -> tuple[str, int]:
    assert (
        client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers).status_code
        == 202
    )
    run_worker()
    [mail] = mailbox.wait_for(1)
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "with your liaison token" not in text
    link = ACK_LINK.search(text).group(1)  # type: ignore[union-attr]
    [notification] = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    return "/" + link.split("://", 1)[1].split("/", 1)[1], int(notification["id"])


def _status(client: TestClient, case: Case, notification_id: int) -> dict[str, object]:
    answer = client.get(f"/api/v1/notifications/{notification_id}", headers=case.social_worker.headers)
    return dict(answer.json())


def test_the_email_link_shows_the_alert_and_its_button_acknowledges_it_by_email(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    path, notification_id = _alert_link(client, case, mailbox)
    page = client.get(path)
    assert page.status_code == 200
    assert case.ref in page.text and ">Acknowledge</button>" in page.text
    assert "Alex" not in page.text and "9990000018" not in page.text  # the ref only, before sign-in
    client.get(path)  # a mail scanner opening it again
    assert _status(client, case, notification_id)["acknowledged_at"] is None

    done = post_form(client, path, page)
    assert done.status_code == 200 and "Alert acknowledged" in done.text
    assert f'href="/young-people/{case.ref}"' in done.text
    acknowledged = _status(client, case, notification_id)
    assert (acknowledged["acknowledged_by"], acknowledged["acknowledged_via"]) == ("jsmith", "email")
    [event] = audit_events(action="notification.acknowledged")
    assert (event.actor_username, event.via, event.young_person_ref) == ("jsmith", "email", case.ref)

    record = client.get(f"/young-people/{case.ref}", follow_redirects=False)
    assert record.status_code == 303 and record.headers["location"].startswith("/sign-in?next=/young-people/")

    again = client.get(path)  # used: it says so, and offers the record
    assert again.status_code == 200 and "already been acknowledged" in again.text
    repeat = post_form(client, path, page)
    assert "Already acknowledged" in repeat.text
    assert len(audit_events(action="notification.acknowledged")) == 1


def test_expired_tampered_and_other_people_s_links_are_refused_with_a_clear_page(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    path, notification_id = _alert_link(client, case, mailbox)
    key = get_settings().secret_key.get_secret_value()
    with session_scope() as session:
        lead_id = session.query(User.id).filter(User.username == "lead").scalar()
        jsmith_id = session.query(User.id).filter(User.username == "jsmith").scalar()

    old = links.make(
        key=key,
        notification_id=notification_id,
        recipient_id=jsmith_id,
        now=utcnow() - timedelta(hours=73),
        life=timedelta(hours=72),
    )
    expired = client.get(f"/alerts/acknowledge/{old}")
    assert expired.status_code == 410 and "It has expired" in expired.text

    token = path.rsplit("/", 1)[1]
    n, r, exp, sig = token.split(".")
    for forged in (
        f"{n}.{lead_id}.{exp}.{sig}",
        f"{n}.{r}.{int(exp) + 999}.{sig}",
        f"{n}.{r}.{exp}.{'0' * 32}",
        "x",
    ):
        refused = client.get(f"/alerts/acknowledge/{forged}")
        assert refused.status_code == 400 and "not a valid link" in refused.text, forged
    # signed, but for someone who is not the recipient of this notification
    someone_else = links.make(
        key=key, notification_id=notification_id, recipient_id=lead_id, now=utcnow(), life=timedelta(hours=1)
    )
    page = client.get(f"/alerts/acknowledge/{someone_else}")
    assert page.status_code == 400
    assert post_form(client, f"/alerts/acknowledge/{someone_else}", client.get("/sign-in")).status_code == 400
    assert _status(client, case, notification_id)["acknowledged_at"] is None


def test_a_deactivated_recipient_s_link_stops_working_at_once(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    path, notification_id = _alert_link(client, case, mailbox)
    page = client.get(path)
    with session_scope() as session:
        session.execute(update(User).where(User.username == "jsmith").values(active=False))
    refused = post_form(client, path, page)
    assert refused.status_code == 400 and "can no longer use liaison" in refused.text
    with session_scope() as session:
        assert session.get(Notification, notification_id).acknowledged_at is None  # type: ignore[union-attr]
