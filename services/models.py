"""Every table, imported in one place so the metadata (and Alembic) sees the whole schema."""

from services.appointments.models import Appointment, MissedAppointment
from services.assessments.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentTemplate,
    Escalation,
    ThriveRecord,
    UnmetNeed,
)
from services.attendances.models import Attendance
from services.audit.models import AuditEvent, AuditSeal
from services.chronology.models import ChronologyEntry
from services.closures.models import Closure, ClosureResponse
from services.db import Base
from services.intake.models import InboundMessage
from services.notifications.models import Delivery, DeliveryAttempt, Notification
from services.people.models import CareTeamMember, YoungPerson
from services.plans.models import (
    CarePlan,
    CarePlanReview,
    DischargePlan,
    DischargePlanRecipient,
    SafetyPlan,
)
from services.staff.models import ApiToken, Team, User
from services.transfers.models import Transfer, TransferTick

__all__ = [
    "ApiToken",
    "Appointment",
    "Assessment",
    "AssessmentAnswer",
    "AssessmentTemplate",
    "Attendance",
    "AuditEvent",
    "AuditSeal",
    "Base",
    "CarePlan",
    "CarePlanReview",
    "CareTeamMember",
    "ChronologyEntry",
    "Closure",
    "ClosureResponse",
    "Delivery",
    "DischargePlan",
    "DischargePlanRecipient",
    "Escalation",
    "InboundMessage",
    "MissedAppointment",
    "DeliveryAttempt",
    "Notification",
    "SafetyPlan",
    "Team",
    "ThriveRecord",
    "Transfer",
    "TransferTick",
    "UnmetNeed",
    "User",
    "YoungPerson",
]
