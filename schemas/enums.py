"""Closed vocabularies of the integration contract. Values are part of the public API: never rename one."""

from __future__ import annotations

from enum import StrEnum


class Agency(StrEnum):
    social_care = "social_care"
    camhs = "camhs"
    substance_misuse = "substance_misuse"
    early_help = "early_help"
    gp = "gp"
    school_health = "school_health"
    youth_justice = "youth_justice"
    acute_liaison = "acute_liaison"
    idva = "idva"
    emergency_duty = "emergency_duty"
    other = "other"


class Role(StrEnum):
    """A staff user's role in the service (what they may do)."""

    liaison = "liaison"
    social_worker = "social_worker"
    clinician = "clinician"
    team_manager = "team_manager"
    safeguarding_lead = "safeguarding_lead"
    admin = "admin"
    integration = "integration"
    # Information governance (the Caldicott function, the DPO's office): reads the audit trail and every
    # record's access log, and nothing of the records themselves.
    ig_officer = "ig_officer"


class CareTeamRole(StrEnum):
    """A member's part in one young person's care team."""

    lead_social_worker = "lead_social_worker"
    care_coordinator = "care_coordinator"
    camhs = "camhs"
    substance_misuse = "substance_misuse"
    early_help = "early_help"
    gp = "gp"
    school_health = "school_health"
    youth_justice = "youth_justice"
    other = "other"
    duty = "duty"  # not a member: a duty team told because nobody else would be, or across a border
    out_of_hours = "out_of_hours"  # not a member: the LA's emergency duty team, told of escalations at night
    gateway_chair = "gateway_chair"  # not a member: chairs the local Gateway meeting a referral goes to
    team_manager = "team_manager"  # not a member: manages a recipient who has not acknowledged an alert
    safeguarding_lead = "safeguarding_lead"  # not a member: the LA's lead, told of patterns and escalations

    @property
    def label(self) -> str:
        """Plain words for people: "lead social worker", "CAMHS"."""
        return _CARE_TEAM_LABELS.get(self.value, self.value.replace("_", " "))


_CARE_TEAM_LABELS = {
    "camhs": "CAMHS",
    "gp": "GP",
    "duty": "duty team",
    "out_of_hours": "out-of-hours duty team",
}


class YoungPersonStatus(StrEnum):
    cp_plan = "cp_plan"
    cin = "cin"
    lac = "lac"
    early_help = "early_help"


class CareSetting(StrEnum):
    emergency_department = "emergency_department"
    urgent_treatment_centre = "urgent_treatment_centre"
    walk_in_centre = "walk_in_centre"
    inpatient_admission = "inpatient_admission"
    ambulance = "ambulance"
    other = "other"


class AttendanceReason(StrEnum):
    self_harm = "self_harm"
    overdose = "overdose"
    substance_use = "substance_use"
    injury = "injury"
    mental_health_crisis = "mental_health_crisis"
    other = "other"


class AttendanceStatus(StrEnum):
    open = "open"
    ended = "ended"
    cancelled = "cancelled"


class Channel(StrEnum):
    email = "email"
    telegram = "telegram"
    webhook = "webhook"


class NotificationStatus(StrEnum):
    pending = "pending"  # intent recorded, nothing delivered yet
    delivered = "delivered"  # at least one channel delivered it
    failed = "failed"  # every channel gave up
    undeliverable = "undeliverable"  # the recipient has no channel at all
    acknowledged = "acknowledged"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    retrying = "retrying"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"  # acknowledged through another channel before this one went


class Via(StrEnum):
    """Which part of liaison did something."""

    api = "api"
    bot = "bot"
    worker = "worker"
    cli = "cli"
    mllp = "mllp"
    web = "web"  # the web front end, signed in
    email = "email"  # an alert email's (or webhook's) signed Acknowledge link, without signing in


class AssessmentStatus(StrEnum):
    draft = "draft"  # started, nothing answered yet
    in_progress = "in_progress"
    completed = "completed"
    amended = "amended"  # completed, then superseded by a newer version; kept readable


class ClosureReason(StrEnum):
    """Why a service proposes to end its involvement with a young person."""

    non_engagement = "non_engagement"  # missed appointments, not brought, not responding
    declined = "declined"  # the young person (or family) declines the service
    needs_met = "needs_met"
    moved_away = "moved_away"
    transferred = "transferred"  # to another service that has accepted
    other = "other"

    @property
    def disengagement(self) -> bool:
        """Closures the review warns about (Jez's case was closed for non-attendance, nobody asked)."""
        return self in (ClosureReason.non_engagement, ClosureReason.declined)


class ClosureStatus(StrEnum):
    proposed = "proposed"  # the care team is consulted
    closed = "closed"  # the decision was to close: the member has left the care team
    kept_open = "kept_open"  # the decision was to stay involved


class ClosureStance(StrEnum):
    agree = "agree"
    object = "object"


class NeedStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    met = "met"
    cancelled = "cancelled"


class EscalationLevel(StrEnum):
    gateway = "gateway"  # Level 1: place-based Gateway meeting
    resolution = "resolution"  # Level 2: when Gateway has not resolved the needs


class EscalationStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    raised = "raised"  # taken to Resolution (Level 2)


class Thrive(StrEnum):
    thriving = "thriving"
    getting_advice = "getting_advice"
    getting_help = "getting_help"
    getting_more_help = "getting_more_help"
    getting_risk_support = "getting_risk_support"


class NotificationKind(StrEnum):
    attendance = "attendance"
    gateway = "gateway"
    resolution = "resolution"
    need_overdue = "need_overdue"
    rescore = "rescore"
    repeat_attendance = "repeat_attendance"
    closure_proposed = "closure_proposed"
    closure = "closure"
    reminder = "reminder"  # the same notification again, to the same person, unacknowledged
    escalation = "escalation"  # someone else told that a notification is unacknowledged
    plan_issued = "plan_issued"
    plan_review_due = "plan_review_due"
    attendance_cancelled = "attendance_cancelled"
    was_not_brought = "was_not_brought"  # a missed follow-up: the child was not brought
    did_not_attend = "did_not_attend"  # a missed follow-up: the young person's own informed choice
    missed_appointments = "missed_appointments"  # the missed-appointment threshold is met
    # A miss people were told of is withdrawn (an arrival reported, an outcome corrected, a booking deleted):
    # informational, never chased; `Notification.detail` holds the `WithdrawalWhy` that words it.
    missed_appointment_withdrawn = "missed_appointment_withdrawn"
    transfer_opened = "transfer_opened"  # a move between local authorities: both are told
    transfer_accepted = "transfer_accepted"
    transfer_declined = "transfer_declined"
    transfer_completed = "transfer_completed"
    transfer_withdrawn = "transfer_withdrawn"
    transfer_overdue = "transfer_overdue"  # not accepted in time: both LAs' safeguarding leads are told
    # Someone outside the young person's local authorities tried to register them: their LA's leads are told
    # by ref (the registrant learns only which authority to contact, never the ref).
    registration_elsewhere = "registration_elsewhere"
    # A care-team member (or someone with an alert open to them) was deactivated: the young person's duty
    # team is told by ref, to name someone in their place; `Notification.detail` holds the leaver's role.
    member_left = "member_left"

    @property
    def label(self) -> str:
        """What people call this kind of notification: "Attendance alert", "Gateway referral" (its entry in
        `schemas/kinds.py`, the one home of everything a kind is)."""
        from schemas.kinds import KINDS  # the registry is built over this enum

        return KINDS[self].label


class WithdrawalWhy(StrEnum):
    """Why a recorded miss was withdrawn: the code a `missed_appointment_withdrawn` notification carries, and
    its words in the message (fixed words, never free text: messages carry the case ref only)."""

    arrived = "arrived"  # the clinic's system reports the young person arrived (FHIR arrived, fulfilled)
    attended = "attended"  # someone on the care team corrected the outcome to attended
    cancelled = "cancelled"  # ... to cancelled
    rescheduled = "rescheduled"  # ... back to scheduled (still to happen)
    booking_deleted = "booking_deleted"  # the clinic deleted the booking as made in error (HL7 SIU S17)

    @property
    def words(self) -> str:
        return _WITHDRAWAL_WORDS[self.value]

    @classmethod
    def corrected_to(cls, status: str) -> WithdrawalWhy:
        """Why, when a person records the outcome as `status` (attended, cancelled or scheduled)."""
        return {"attended": cls.attended, "cancelled": cls.cancelled}.get(status, cls.rescheduled)


_WITHDRAWAL_WORDS = {
    "arrived": "the clinic now reports the young person arrived",
    "attended": "the outcome was corrected: the young person attended",
    "cancelled": "the outcome was corrected: the appointment was cancelled, not missed",
    "rescheduled": "the outcome was corrected: the appointment has not happened yet",
    "booking_deleted": "the clinic deleted the booking as made in error: there was no appointment to miss",
}


class EscalationStep(StrEnum):
    """The chase of an unacknowledged notification, in order (see services/notifications/escalation)."""

    reminder = "reminder"  # the same recipient again
    team_manager = "team_manager"  # their team manager(s), and the duty team if nobody has acknowledged
    safeguarding_lead = "safeguarding_lead"  # the safeguarding lead(s) of the responsible LA

    @property
    def level(self) -> int:
        """1, 2, 3: how far the chase has gone."""
        return list(EscalationStep).index(self) + 1


class TransferStatus(StrEnum):
    open = "open"  # the receiving LA has not accepted yet: the sending LA keeps responsibility
    accepted = "accepted"  # the receiving LA has accepted; the handover checklist is being worked through
    completed = "completed"  # every required handover item is done
    declined = "declined"  # the receiving LA declined (with a reason): the sending LA keeps responsibility
    withdrawn = "withdrawn"  # the sending LA withdrew it, or a later move superseded it

    @property
    def live(self) -> bool:
        """Still in progress: both local authorities are party to the young person's record."""
        return self in (TransferStatus.open, TransferStatus.accepted)
