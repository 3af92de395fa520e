"""Notifications carry their event in typed columns; a producer voids an event and the pipeline reads the
column, never the producer's tables (services/notifications/events.py), over the real database."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import CareTeamRole, NotificationKind
from services.db import session_scope
from services.notifications import events
from services.notifications import service as notifications
from services.notifications.events import Event
from services.notifications.models import Notification
from services.people.models import YoungPerson
from services.staff.models import User
from tests.integration.conftest import Case

AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
K = NotificationKind


def _by_kind(session: Session) -> dict[str, list[Notification]]:
    found: dict[str, list[Notification]] = {}
    for n in session.scalars(select(Notification).order_by(Notification.id)):
        found.setdefault(n.kind, []).append(n)
    return found


def test_a_void_stops_the_event_and_its_chase_but_not_what_it_prompted(
    client: TestClient, case: Case
) -> None:
    with session_scope() as session:
        young_person = session.scalars(select(YoungPerson).where(YoungPerson.ref == case.ref)).one()
        jsmith = session.scalars(select(User).where(User.username == "jsmith")).one()
        lead = session.scalars(select(User).where(User.username == "lead")).one()
        seen = Event("attendance", 4242)
        for user in (jsmith, lead):
            notifications.create(
                session,
                kind=K.attendance,
                young_person=young_person,
                recipients=[(user, CareTeamRole.lead_social_worker)],
                event=seen,
            )
        notifications.create(  # the same attendance's re-score prompt: another telling of another thing
            session,
            kind=K.rescore,
            young_person=young_person,
            recipients=[(jsmith, CareTeamRole.lead_social_worker)],
            event=seen,
        )
        alert = _by_kind(session)[K.attendance][0]
        prompt = _by_kind(session)[K.rescore][0]
        for chased in (alert, prompt):
            notifications.create(
                session,
                kind=K.reminder,
                young_person=young_person,
                recipients=[(jsmith, CareTeamRole.lead_social_worker)],
                event=events.of(chased),
                escalates=chased,
                step="recipient",
            )
        assert [n.dedup_key for n in events.told(session, alert)] == [
            f"attendance:4242:{jsmith.id}",
            f"attendance:4242:{lead.id}",
        ]
        assert [n.dedup_key for n in events.told(session, prompt)] == [f"rescore:attendance:4242:{jsmith.id}"]

        assert notifications.void(session, event_type="attendance", event_id=4242, at=AT) == 3
        made = _by_kind(session)
        assert all(events.settled(n) for n in made[K.attendance])
        assert [events.settled(n) for n in made[K.reminder]] == [True, False]  # the alert's; the prompt's
        assert not events.settled(made[K.rescore][0])
        assert notifications.void(session, event_type="attendance", event_id=4242, at=AT) == 0  # once

        notifications.reinstate(session, event_type="attendance", event_id=4242)
        assert not any(events.settled(n) for n in _by_kind(session)[K.attendance])
        session.rollback()
