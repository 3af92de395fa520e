"""Notifications carry the event they tell of in typed columns (`event_type`, `event_id`, `event_round`)
and `voided_at`, set by the event's producer when it stops standing; nothing takes a dedup key apart any
more (services/notifications/events.py).

Existing rows are converted from their dedup keys ("attendance:12:7", "gateway:3:7", "missed:5:7",
"missed_appt:4:7", "transfer_overdue:2:1:7", "rescore:attendance:12:7", "withdrawn:missed_appt:4:7"): this
migration is the one place that reads them. A reminder or escalation takes the event of the alert it
chases. Two legacy forms had no number for their second part: a care plan review due by date
("care_plan_review_due:<young person>:2026-12-03") takes the date as a number (20261203), and a re-score
prompted by a change of residence at a time ("rescore:residence:<young person>:<timestamp>") takes the
negative id of its first notification (new ones take the move's chronology entry, never negative). Every
dedup key stays as it is: those two were never asked again (a plan review is claimed once per date, each
move is new), and a key of any form this migration does not know is typed without being touched.
`voided_at` is filled from the producers' own state as it stands: a cancelled attendance, a withdrawn
miss (by appointment; by follow-up while `missed_appointments.follow_up_id` exists), a resolved referral,
a decided closure, a withdrawn transfer, an overdue transfer no longer open.

Downgrade drops the columns.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As they were when this migration was written (never the code's own tables: it moves on).
CHASERS = ("reminder", "escalation")
PREFIX = {"rescore": "rescore:", "missed_appointment_withdrawn": "withdrawn:"}
MISSES = ("was_not_brought", "did_not_attend", "missed_appointments")


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _event(key: str, kind: str, first_id: int) -> tuple[str, int, int | None]:
    """(type, id, round) of an alert's dedup key."""
    prefix = PREFIX.get(kind, "")
    event = key.rpartition(":")[0] or key
    if prefix and event.startswith(prefix):
        event = event[len(prefix) :]
    kind_of, _, rest = event.partition(":")
    first, _, second = rest.partition(":")
    number = _number(first)
    if number is not None and not second:
        return kind_of, number, None
    if number is not None and _number(second) is not None:
        return kind_of, number, int(second)
    if number is not None and kind_of == "care_plan_review_due" and _number(second.replace("-", "")):
        return kind_of, number, int(second.replace("-", ""))
    return kind_of, number or 0, -first_id  # no number: one event per key, never a new event's round


def _convert(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, dedup_key, kind, escalates_id FROM notifications ORDER BY id")
    ).all()
    firsts: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.kind not in CHASERS:
            firsts.setdefault((row.kind, row.dedup_key.rpartition(":")[0]), row.id)
    alerts: dict[int, tuple[str, int, int | None]] = {}
    for row in rows:
        if row.kind not in CHASERS:
            first = firsts[(row.kind, row.dedup_key.rpartition(":")[0])]
            alerts[row.id] = _event(row.dedup_key, row.kind, first)
    changes = [
        dict(zip(("id", "t", "i", "r"), (row.id, *alerts[row.id]), strict=True))
        if row.kind not in CHASERS
        # a reminder or escalation tells of the event of the alert it chases
        else dict(
            zip(
                ("id", "t", "i", "r"),
                (row.id, *alerts.get(row.escalates_id, ("unknown", 0, -row.id))),
                strict=True,
            )
        )
        for row in rows
    ]
    if changes:
        connection.execute(
            sa.text(
                "UPDATE notifications SET event_type = :t, event_id = :i, event_round = :r WHERE id = :id"
            ),
            changes,
        )


NOTIFICATIONS = sa.table(
    "notifications",
    sa.column("id"),
    sa.column("kind"),
    sa.column("event_type"),
    sa.column("event_id"),
    sa.column("voided_at"),
    sa.column("created_at"),
    sa.column("escalates_id"),
)


def _producer(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def _void(connection: sa.Connection) -> None:
    """Voided as the producers' state stands (when they did it, else when the notification was made)."""
    attendances = _producer("attendances", "id", "status", "cancelled_at")
    misses = _producer("missed_appointments", "appointment_id", "follow_up_id", "withdrawn_at")
    referrals = _producer("escalations", "id", "status", "closed_at")
    closures = _producer("closures", "id", "status", "decided_at")
    transfers = _producer("transfers", "id", "status", "ended_at")
    by_type: list[tuple[str, Sequence[str], sa.TableClause, str, str, Callable[[sa.TableClause], Any]]] = [
        (
            "attendance",
            ["attendance"],
            attendances,
            "id",
            "cancelled_at",
            lambda t: t.c.status == "cancelled",
        ),
        (
            "missed_appt",
            MISSES,
            misses,
            "appointment_id",
            "withdrawn_at",
            lambda t: t.c.withdrawn_at.is_not(None),
        ),
        ("gateway", ["gateway"], referrals, "id", "closed_at", lambda t: t.c.status == "resolved"),
        ("resolution", ["resolution"], referrals, "id", "closed_at", lambda t: t.c.status == "resolved"),
        (
            "closure_proposed",
            ["closure_proposed"],
            closures,
            "id",
            "decided_at",
            lambda t: t.c.status != "proposed",
        ),
        (
            "transfer_opened",
            ["transfer_opened"],
            transfers,
            "id",
            "ended_at",
            lambda t: t.c.status == "withdrawn",
        ),
        (
            "transfer_overdue",
            ["transfer_overdue"],
            transfers,
            "id",
            "ended_at",
            lambda t: t.c.status != "open",
        ),
    ]
    names = [column["name"] for column in sa.inspect(connection).get_columns("missed_appointments")]
    if "follow_up_id" in names:  # before follow-ups became appointments
        by_type.append(
            (
                "missed",
                MISSES,
                misses,
                "follow_up_id",
                "withdrawn_at",
                lambda t: t.c.withdrawn_at.is_not(None),
            )
        )
    n = NOTIFICATIONS
    for event_type, kinds, table, match, at, voided in by_type:
        found = sa.and_(table.c[match] == n.c.event_id, voided(table))
        when = sa.select(sa.func.coalesce(table.c[at], n.c.created_at)).where(found).scalar_subquery()
        connection.execute(
            sa.update(n)
            .where(n.c.event_type == event_type, n.c.kind.in_(kinds), sa.exists().where(found))
            .values(voided_at=when)
        )
    alert = NOTIFICATIONS.alias("alert")  # a chaser is voided with the alert it chases
    connection.execute(
        sa.update(n)
        .where(n.c.kind.in_(CHASERS))
        .values(
            voided_at=sa.select(alert.c.voided_at).where(alert.c.id == n.c.escalates_id).scalar_subquery()
        )
    )


COLUMNS = ("voided_at", "event_round", "event_id", "event_type")


def upgrade() -> None:
    # Added in place, never by rebuilding the table: on SQLite a rebuild drops the old table, which the
    # deliveries and the chasers' own `escalates_id` refer to. The two required columns take a default
    # while the rows are converted (PostgreSQL drops it after; SQLite cannot without a rebuild, and every
    # new row names its event anyway).
    op.add_column("notifications", sa.Column("event_type", sa.String(40), nullable=False, server_default=""))
    op.add_column("notifications", sa.Column("event_id", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("notifications", sa.Column("event_round", sa.Integer(), nullable=True))
    op.add_column("notifications", sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    _convert(connection)
    _void(connection)
    if connection.dialect.name != "sqlite":
        op.alter_column("notifications", "event_type", server_default=None)
        op.alter_column("notifications", "event_id", server_default=None)
    op.create_index("ix_notifications_event", "notifications", ["event_type", "event_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_event", table_name="notifications")
    for column in COLUMNS:  # in place (SQLite 3.35 and later), for the same reason
        op.drop_column("notifications", column)
