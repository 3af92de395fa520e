"""rq jobs. Each is idempotent against the database: rq may run a job twice, a person sees one alert."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from schemas.enums import Channel, EscalationStep, Via
from schemas.settings import Settings, get_settings
from services.assessments import needs
from services.kernel.audit import sealing
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.logsafe import redact_secrets
from services.kernel.redis_conn import get_redis
from services.kernel.worktime.rules import calendar_for
from services.notifications import chase, delivery, links
from services.notifications.dispatch import enqueue_delivery, job_waiting, queued
from services.plans import issuing
from services.plans import service as plans
from services.transfers import service as transfers
from worker.channels.base import RateLimited, TransportError
from worker.channels.registry import transport_for
from worker.messages import notification_message, with_link

log = logging.getLogger(__name__)

VIA = Via.worker


def _ack_link(claimed: delivery.Claimed, settings: Settings) -> str:
    """The recipient's own Acknowledge page for the notification the message's button acknowledges."""
    token = links.make(
        key=settings.secret_key.get_secret_value(),
        notification_id=claimed.escalates_id
        if claimed.kind == "reminder" and claimed.escalates_id is not None
        else claimed.notification_id,
        recipient_id=claimed.recipient_id,
        now=utcnow(),
        life=timedelta(hours=settings.ack_link_hours),
    )
    return links.url(settings.public_base_url, token)


def deliver(delivery_id: int) -> str:
    """Send one delivery once: claim it, send it, record the outcome, and schedule a retry if due."""
    settings = get_settings()
    with session_scope() as session:
        claimed = delivery.claim(session, delivery_id=delivery_id, now=utcnow())
    if claimed is None:
        return _not_claimed(delivery_id)
    message = notification_message(
        kind=str(claimed.kind),
        notification_id=claimed.notification_id,
        young_person_ref=claimed.young_person_ref,
        public_base_url=settings.public_base_url,
        escalates_id=claimed.escalates_id,
        escalates_role=claimed.escalates_role,
        recipient_role=claimed.recipient_role,
        escalates_kind=claimed.escalates_kind,
        detail=claimed.detail,
    )
    if claimed.channel in (Channel.email, Channel.webhook):  # a Telegram push has its own button
        message = with_link(
            message, link=_ack_link(claimed, settings), public_base_url=settings.public_base_url
        )
    started = time.monotonic()
    try:
        transport_for(claimed.channel, settings).send(address=claimed.address, message=message)
    except RateLimited as exc:
        return _defer(claimed, exc)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded; unknown ones are retried
        elapsed = int((time.monotonic() - started) * 1000)
        error = (
            exc
            if isinstance(exc, TransportError)
            else TransportError(redact_secrets(f"{type(exc).__name__}: {exc}"))  # kept in the database
        )
        with session_scope() as session:
            retry_at = delivery.record_failure(
                session,
                claimed=claimed,
                error=str(error),
                permanent=error.permanent,
                retry_after=error.retry_after,
                now=utcnow(),
                duration_ms=elapsed,
                max_attempts=settings.delivery_max_attempts,
                retry_base_seconds=settings.delivery_retry_base_seconds,
                retry_max_seconds=settings.delivery_retry_max_seconds,
                retry_budget_seconds=settings.delivery_retry_budget_hours * 3600,
            )
        if retry_at is not None:
            enqueue_delivery(get_redis(), delivery_id=delivery_id, attempts=claimed.attempt, at=retry_at)
            log.warning(
                "delivery %s attempt %s failed, retry at %s: %s",
                delivery_id,
                claimed.attempt,
                retry_at,
                error,
            )
            return "retrying"
        log.error("delivery %s gave up after attempt %s: %s", delivery_id, claimed.attempt, error)
        return "failed"
    with session_scope() as session:
        delivery.record_success(
            session, claimed=claimed, now=utcnow(), duration_ms=int((time.monotonic() - started) * 1000)
        )
    return "delivered"


def _not_claimed(delivery_id: int) -> str:
    """Nothing to claim. If the delivery waits for a later time (this job came early), queue it for then;
    otherwise it is taken, finished or cancelled."""
    with session_scope() as session:
        waiting = delivery.waiting_until(session, delivery_id=delivery_id, now=utcnow())
    if waiting is not None:
        due, attempts = waiting
        suffix = f"w{int(due.timestamp() * 1000)}"
        enqueue_delivery(get_redis(), delivery_id=delivery_id, attempts=attempts, at=due, suffix=suffix)
        log.info("delivery %s is due at %s, not yet: queued again for then", delivery_id, due)
        return "skipped"
    log.info("delivery %s already taken, finished or cancelled: nothing to do", delivery_id)
    return "skipped"


def _defer(claimed: delivery.Claimed, limited: RateLimited) -> str:
    """Our own send budget is spent: queue the same delivery for when it is not, as if never tried."""
    seconds = limited.retry_after or 1.0
    with session_scope() as session:
        retry_at = delivery.defer(
            session, claimed=claimed, now=utcnow(), seconds=seconds, reason=str(limited)
        )
    if retry_at is None:
        return "skipped"
    suffix = f"d{int(retry_at.timestamp() * 1000)}"  # a new job id: the deferred job may still be running
    enqueue_delivery(
        get_redis(), delivery_id=claimed.delivery_id, attempts=claimed.attempt - 1, at=retry_at, suffix=suffix
    )
    log.info("delivery %s deferred %.2f s by the rate limiter", claimed.delivery_id, seconds)
    return "deferred"


def sweep(now: datetime | None = None) -> int:
    """Re-drive every delivery the database says is due but whose job was lost (Redis restarted, a worker
    died mid-send, the API could not reach Redis). Returns how many were queued. `now` is for tests."""
    settings = get_settings()
    now = now or utcnow()
    with session_scope() as session:
        due = delivery.due_for_redrive(
            session,
            now=now,
            grace_seconds=settings.sweep_interval_seconds,
            lease_seconds=settings.delivery_lease_seconds,
        )
    slot = f"r{int(now.timestamp()) // settings.sweep_interval_seconds}"
    redis = get_redis()
    lost = [(i, a) for i, a in due if not job_waiting(redis, delivery_id=i)]
    queued = sum(enqueue_delivery(redis, delivery_id=i, attempts=a, suffix=slot) for i, a in lost)
    if lost:
        log.warning(
            "sweeper re-drove %s of %s overdue deliveries (%s still waiting in the queue)",
            queued,
            len(lost),
            len(due) - len(lost),
        )
    return queued


def check_needs_and_scores(now: datetime | None = None) -> int:
    """Notify overdue unmet needs (each once) and prompt re-scores of old assessments (each once).
    Returns how many deliveries were queued. `now` is for tests."""
    settings = get_settings()
    now = now or utcnow()
    with session_scope() as session:
        needs.notify_overdue(session, now=now)
        needs.prompt_stale(session, now=now, max_age_days=settings.assessment_rescore_after_days)
    return queued(session)


def escalate(now: datetime | None = None) -> int:
    """Chase unacknowledged notifications of every chased kind (attendance alerts, Gateway referrals,
    was-not-brought messages ...): take every step of `services/notifications/escalation` that is due on
    the kind's ladder (a reminder, the team manager and duty team, the safeguarding lead), each once
    however many times or places this runs. Returns how many steps were taken. `now` is for tests."""
    settings = get_settings()
    now = now or utcnow()
    with session_scope() as session:
        alert_ids = chase.candidates(session, now=now, settings=settings)
    taken = 0
    for alert_id in alert_ids:
        for _ in range(len(EscalationStep)):  # a late run catches up step by step
            with session_scope() as session:
                step = chase.take_next(session, notification_id=alert_id, now=now, settings=settings)
            if step is None:
                break
            taken += 1
            log.warning("notification %s not acknowledged: %s step taken", alert_id, step)
    return taken


def check_plans(now: datetime | None = None) -> int:
    """Prompt the care coordinator about care plans past their review date (once per date), and record
    whether each discharge plan issued more than 24 h ago reached everyone named in it (once per plan).
    Returns how many deliveries were queued. `now` is for tests."""
    now = now or utcnow()
    with session_scope() as session:
        plans.prompt_due_reviews(session, now=now)
        issuing.check_distribution(session, now=now)
    return queued(session)


def chase_transfers(now: datetime | None = None) -> int:
    """Tell both local authorities' safeguarding leads about each transfer not accepted within another
    TRANSFER_ACCEPT_WORKING_DAYS working days (once per threshold, however often this runs). Returns how
    many deliveries were queued. `now` is for tests."""
    settings = get_settings()
    now = now or utcnow()
    with session_scope() as session:
        transfers.chase_overdue(
            session,
            now=now,
            every_working_days=settings.transfer_accept_working_days,
            calendar=calendar_for(settings),
        )
    return queued(session)


def seal_audit(now: datetime | None = None) -> int:
    """Seal every audit event committed so far into the audit trail's hash chain (docs/audit.md). Safe to
    run anywhere at once: a second sealer loses the race for the next link and starts again from the new
    head. Returns how many events this run sealed. `now` is for tests."""
    sealed = sealing.seal(now=now or utcnow())
    if sealed:
        log.info("sealed %s audit events", sealed)
    return sealed
