"""Operational metrics for the people who run liaison, in the Prometheus exposition format (`/metrics`).

Every figure is read at scrape time from the system of record (the database) and from the queue (Redis),
never from counters held in one process: the API, the workers, the MLLP listener and the scheduler are
separate processes, and a restart must not reset what was counted. Counters are counts of rows that are
only ever added (attendances, inbound messages, delivery attempts, escalation steps); gauges are the
current state (deliveries by status, queue depth, alerts waiting). Delivery latency is a gauge histogram
over the last day (`LATENCY_WINDOW`), so a scrape reads a bounded number of rows however old the service.

No label holds anything of a young person: sources, channels, statuses, kinds and steps only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.attendances.models import Attendance
from services.intake.models import InboundMessage
from services.kernel.clock import utcnow
from services.notifications.models import Delivery, DeliveryAttempt, EscalationStepTaken, Notification

LATENCY_WINDOW = timedelta(days=1)
# Seconds from an alert being made to its delivery: the target is seconds, the sweeper's bound a minute.
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)


def latency_buckets(seconds: list[float]) -> list[tuple[str, float]]:
    """Cumulative bucket counts in the exposition format's order, `+Inf` last."""
    ordered = sorted(seconds)
    out: list[tuple[str, float]] = []
    for bound in LATENCY_BUCKETS:
        out.append((str(bound), float(sum(1 for s in ordered if s <= bound))))
    out.append(("+Inf", float(len(ordered))))
    return out


class LiaisonCollector(Collector):
    """Collects from a fresh session and the Redis connection it is given, on each scrape."""

    def __init__(self, sessions: sessionmaker[Session], redis: Redis) -> None:
        self._sessions = sessions
        self._redis = redis

    def collect(self) -> Iterator[Metric]:
        with self._sessions() as session:
            yield from _intake(session)
            yield from _deliveries(session)
            yield from _escalation(session)
        yield from _queues(self._redis)


def _rows(session: Session, statement: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in session.execute(statement)]


def _intake(session: Session) -> Iterator[Metric]:
    recorded = CounterMetricFamily(
        "liaison_attendances_recorded", "Acute attendances recorded, by sending system", labels=["source"]
    )
    for source, count in _rows(session, select(Attendance.source, func.count()).group_by(Attendance.source)):
        recorded.add_metric([source], count)
    yield recorded
    inbound = CounterMetricFamily(
        "liaison_inbound_messages",
        "HL7 v2 messages received, by transport, event and outcome (with the ACK code sent)",
        labels=["via", "event", "outcome", "ack"],
    )
    grouped = select(
        InboundMessage.via,
        InboundMessage.event,
        InboundMessage.outcome,
        InboundMessage.ack_code,
        func.count(),
    ).group_by(InboundMessage.via, InboundMessage.event, InboundMessage.outcome, InboundMessage.ack_code)
    for via, event, outcome, ack, count in _rows(session, grouped):
        inbound.add_metric([via, event, outcome, ack], count)
    yield inbound


def _deliveries(session: Session) -> Iterator[Metric]:
    by_status = GaugeMetricFamily(
        "liaison_deliveries",
        "Deliveries (one per notification and channel) by channel and status now",
        labels=["channel", "status"],
    )
    grouped = select(Delivery.channel, Delivery.status, func.count()).group_by(
        Delivery.channel, Delivery.status
    )
    for channel, status, count in _rows(session, grouped):
        by_status.add_metric([channel, status], count)
    yield by_status
    attempts = CounterMetricFamily(
        "liaison_delivery_attempts",
        "Tries to send, by channel and outcome (delivered, retry, failed, sending...)",
        labels=["channel", "outcome"],
    )
    tries = (
        select(Delivery.channel, DeliveryAttempt.outcome, func.count())
        .join(Delivery, DeliveryAttempt.delivery_id == Delivery.id)
        .group_by(Delivery.channel, DeliveryAttempt.outcome)
    )
    for channel, outcome, count in _rows(session, tries):
        attempts.add_metric([channel, outcome], count)
    yield attempts
    since = utcnow() - LATENCY_WINDOW
    latency = GaugeHistogramMetricFamily(
        "liaison_delivery_latency_seconds",
        "Seconds from an alert being made to its delivery, for deliveries made in the last day, by channel",
        labels=["channel"],
    )
    made = (
        select(Delivery.channel, Notification.created_at, Delivery.delivered_at)
        .join(Notification, Delivery.notification_id == Notification.id)
        .where(Delivery.delivered_at.is_not(None), Delivery.delivered_at >= since)
    )
    by_channel: dict[str, list[float]] = {}
    for channel, created_at, delivered_at in _rows(session, made):
        by_channel.setdefault(channel, []).append(max(0.0, (delivered_at - created_at).total_seconds()))
    for channel, seconds in sorted(by_channel.items()):
        latency.add_metric([channel], latency_buckets(seconds), gsum_value=sum(seconds))
    yield latency
    waiting = GaugeMetricFamily(
        "liaison_notifications_unacknowledged",
        "Notifications not yet acknowledged (and not voided), by kind",
        labels=["kind"],
    )
    open_now = (
        select(Notification.kind, func.count())
        .where(Notification.acknowledged_at.is_(None), Notification.voided_at.is_(None))
        .group_by(Notification.kind)
    )
    for kind, count in _rows(session, open_now):
        waiting.add_metric([kind], count)
    yield waiting


def _escalation(session: Session) -> Iterator[Metric]:
    steps = CounterMetricFamily(
        "liaison_escalation_steps", "Chase steps taken on unacknowledged alerts, by step", labels=["step"]
    )
    grouped = select(EscalationStepTaken.step, func.count()).group_by(EscalationStepTaken.step)
    for step, count in _rows(session, grouped):
        steps.add_metric([step], count)
    yield steps


def _queues(redis: Redis) -> Iterator[Metric]:
    depth = GaugeMetricFamily("liaison_queue_jobs", "Jobs waiting in each rq queue", labels=["queue"])
    scheduled = GaugeMetricFamily(
        "liaison_queue_scheduled_jobs",
        "Jobs scheduled for later (retries) in each rq queue",
        labels=["queue"],
    )
    failed = GaugeMetricFamily(
        "liaison_queue_failed_jobs", "Jobs in each rq queue's failed registry", labels=["queue"]
    )
    for queue in sorted(Queue.all(connection=redis), key=lambda q: q.name):
        depth.add_metric([queue.name], queue.count)
        scheduled.add_metric([queue.name], ScheduledJobRegistry(queue=queue).count)  # type: ignore[no-untyped-call]
        failed.add_metric([queue.name], FailedJobRegistry(queue=queue).count)
    yield depth
    yield scheduled
    yield failed
