"""Bodies of the plan endpoints: the care plan (NICE NG225), the safety plan (Stanley-Brown) and the
multi-agency discharge plan (PRSB/ITK headings). Plan vocabularies live here: they are not part of the
integration contract."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.api.appointments import AppointmentStatus, MissedDetail
from schemas.enums import Agency, CareTeamRole, Channel, DeliveryStatus

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Items = Annotated[list[Text], Field(max_length=50)]
FirstContactHours = Literal[48, 72]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VersionStatus(StrEnum):
    current = "current"
    superseded = "superseded"  # a newer version was saved; kept readable as history


class InterventionStatus(StrEnum):
    """PRSB "plan and requested actions" statuses, plus in progress and cancelled."""

    requested = "requested"
    planned = "planned"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


FollowUpStatus = AppointmentStatus  # a follow-up is an appointment (with its discharge plan's id)


class DischargePlanStatus(StrEnum):
    draft = "draft"
    issued = "issued"  # completed and sent to everyone named in it
    reviewed = "reviewed"
    superseded = "superseded"  # a newer plan was issued


# ---------------------------------------------------------------- care plan


class Intervention(Strict):
    action: Text
    owning_team: Code | None = Field(default=None, description="Team code of the owning team")
    agency: Agency | None = Field(default=None, description="The owning agency when no team is registered")
    owner: Code | None = Field(default=None, description="Username of the person who owns the action")
    status: InterventionStatus = InterventionStatus.planned
    due_date: date | None = None
    outcome: Text | None = None

    @model_validator(mode="after")
    def _owned(self) -> Intervention:
        if self.owning_team is None and self.agency is None:
            raise ValueError("each intervention needs an owning_team (a team code) or an agency")
        return self


class Sharing(Strict):
    """Lawful basis and consent to share (NG225: shared with consent with family, carers and the GP)."""

    consent_to_share: bool | None = None
    lawful_basis: Text | None = Field(
        default=None, examples=["UK GDPR Art 6(1)(e) and Art 9(2)(h); DPA 2018 Sch 1 para 2"]
    )
    shared_with: Items = Field(default_factory=list, examples=[["GP", "mother", "school nurse"]])
    reason_consent_not_sought: Text | None = None
    agency_consent: dict[Agency, bool] = Field(
        default_factory=dict,
        description=(
            "Per agency: whether the young person consented to share this care plan with it. Members of an "
            "agency recorded `false` see that a care plan exists and whom to ask (the care coordinator), "
            "not its content (docs/plans.md, Consent shapes sharing). An agency not listed is not limited."
        ),
        examples=[{"camhs": True, "youth_justice": False}],
    )


class CarePlanContent(Strict):
    aims: Annotated[list[Text], Field(min_length=1, max_length=50)]
    long_term_goals: Items = Field(default_factory=list)
    interventions: Annotated[list[Intervention], Field(max_length=100)] = Field(default_factory=list)
    made_jointly_with_young_person: bool
    young_person_views: LongText | None = None
    family_views: LongText | None = None
    sharing: Sharing = Field(default_factory=Sharing)
    review_date: date


class ReviewCreate(Strict):
    outcome: LongText
    reviewed_at: AwareDatetime | None = Field(default=None, description="When it was reviewed; default now")
    next_review_date: date


class ReviewRead(BaseModel):
    id: int
    care_plan_version: int
    outcome: str
    reviewed_by: str
    reviewed_at: datetime
    next_review_date: date


class VersionMeta(BaseModel):
    young_person_ref: str
    version: int
    status: VersionStatus
    recorded_by: str
    recorded_at: datetime
    review_overdue: bool
    warnings: list[str]


class PlanContact(BaseModel):
    """Whom to ask about a care plan whose content is withheld from the reader: a care coordinator."""

    username: str
    display_name: str
    team: str


class CarePlanWithheld(BaseModel):
    """A care plan version whose content the young person did not consent to share with the reader's
    agency: that it exists, when it is due for review, and whom to ask."""

    young_person_ref: str
    version: int
    status: VersionStatus
    recorded_at: datetime
    review_date: date
    content_withheld: Literal[True] = True
    reason: str
    ask: list[PlanContact]


class CarePlanRead(CarePlanContent, VersionMeta):
    model_config = ConfigDict(extra="ignore")

    reviews: list[ReviewRead] = Field(default_factory=list)


# ---------------------------------------------------------------- safety plan


class SafetyContact(Strict):
    name: Text
    relationship: Text | None = Field(default=None, examples=["aunt", "CAMHS crisis line"])
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    available_24_7: bool = False


class SafetyPlanContent(Strict):
    """Stanley-Brown steps, in the young person's own words, plus UK additions."""

    warning_signs: Items = Field(default_factory=list)
    internal_coping_strategies: Items = Field(default_factory=list)
    people_and_places_for_distraction: Items = Field(default_factory=list)
    people_who_can_help: Annotated[list[SafetyContact], Field(max_length=50)] = Field(default_factory=list)
    professionals_and_agencies: Annotated[list[SafetyContact], Field(max_length=50)] = Field(
        default_factory=list, description="Including 24/7 crisis lines (mark them available_24_7)"
    )
    making_the_environment_safe: Items = Field(default_factory=list)
    reasons_for_living: Items = Field(default_factory=list)
    key_contact: SafetyContact | None = None
    in_own_words: bool = Field(default=True, description="Written in the young person's own words")
    agreed_with_young_person: bool
    review_date: date

    @model_validator(mode="after")
    def _has_content(self) -> SafetyPlanContent:
        if not (self.warning_signs or self.internal_coping_strategies or self.people_who_can_help):
            raise ValueError(
                "a safety plan needs at least warning signs, coping strategies or people who can help"
            )
        return self


class SafetyPlanRead(SafetyPlanContent, VersionMeta):
    model_config = ConfigDict(extra="ignore")


# ---------------------------------------------------------------- discharge plan


class FollowUpCreate(Strict):
    at: AwareDatetime
    owner_team: Code = Field(description="Team code of the team that owns the appointment")
    owner: Code | None = Field(default=None, description="Username of the named owner, if any")
    location: Text
    purpose: Text | None = None


class FollowUpRead(BaseModel):
    id: int
    at: datetime
    owner_team: str
    owner: str | None
    location: str
    purpose: str | None
    status: FollowUpStatus
    note: str | None
    recorded_by: str | None
    recorded_at: datetime | None
    within_first_contact_target: bool
    missed: MissedDetail | None = Field(
        default=None, description="Why, the barriers, the capacity check and who was told (a missed one)"
    )


class OutOfHoursContact(Strict):
    name: Text
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    when: Text | None = Field(default=None, examples=["evenings and weekends"])


class SafetyAlerts(Strict):
    risk_to_self: LongText | None = None
    risk_to_others: LongText | None = None
    risk_from_others: LongText | None = None


class Legal(Strict):
    consent_to_share: bool | None = None
    lawful_basis: Text | None = None
    reason_consent_not_sought: Text | None = None
    gillick_mca_notes: LongText | None = Field(default=None, description="Gillick competence / MCA 16+")
    mha_status: Text | None = None
    safeguarding_actions: Items = Field(default_factory=list)


class DischargePlanFields(Strict):
    """Every field may be left out of a draft; readiness says what issuing needs."""

    attendance_id: int | None = None
    care_coordinator: Code | None = Field(
        default=None, description="Username of a care-team member with the role care_coordinator"
    )
    lead_social_worker: Code | None = Field(
        default=None, description="Username of a care-team member with the role lead_social_worker"
    )
    agency_contacts: Annotated[list[Code], Field(max_length=50)] | None = Field(
        default=None, description="Usernames of care-team members; left out on create: the whole care team"
    )
    discharge_at: AwareDatetime | None = Field(default=None, description="Default: when it is issued")
    first_contact_hours: FirstContactHours | None = Field(default=None, description="72 (default) or 48")
    crisis_plan: LongText | None = None
    out_of_hours_contacts: Annotated[list[OutOfHoursContact], Field(max_length=20)] = Field(
        default_factory=list
    )
    risk_formulation: LongText | None = None
    assessment_id: int | None = Field(default=None, description="Default: the latest completed assessment")
    safety_alerts: SafetyAlerts = Field(default_factory=SafetyAlerts)
    reasonable_adjustments: Items = Field(default_factory=list)
    young_person_views: LongText | None = None
    family_views: LongText | None = None
    agreed_with_young_person: bool | None = None
    legal: Legal = Field(default_factory=Legal)
    review_date: date | None = None


class DischargePlanCreate(DischargePlanFields):
    follow_ups: Annotated[list[FollowUpCreate], Field(max_length=50)] = Field(default_factory=list)


class DischargePlanUpdate(DischargePlanFields):
    """Only the fields sent are changed; a draft only."""


class DischargePlanReview(Strict):
    outcome: LongText


class NamedPerson(BaseModel):
    username: str
    display_name: str
    care_team_role: CareTeamRole | None
    team: str
    agency: str
    reachable_by: list[Channel]


class CnestLevel(BaseModel):
    assessment_id: int
    level: str
    label: str
    note: str


class Readiness(BaseModel):
    ready: bool
    missing: list[str]
    warnings: list[str]
    first_contact_due_by: datetime


class RecipientDelivery(BaseModel):
    channel: Channel
    status: DeliveryStatus
    delivered_at: datetime | None


class Recipient(BaseModel):
    username: str
    named_as: list[str]
    notification_id: int | None
    notified_at: datetime | None
    deliveries: list[RecipientDelivery]
    reached_at: datetime | None
    reached_within_24h: bool | None = Field(description="None while the 24 h are still running")
    acknowledged_at: datetime | None


class Distribution(BaseModel):
    due_by: datetime = Field(description="NICE QS159: everyone named within 24 h of issue")
    reached: int
    named: int
    all_reached_within_24h: bool | None = Field(description="None while not everyone is reached yet in time")
    recipients: list[Recipient]


class DischargePlanRead(BaseModel):
    id: int
    young_person_ref: str
    status: DischargePlanStatus
    attendance_id: int | None
    care_coordinator: NamedPerson | None
    lead_social_worker: NamedPerson | None
    agency_contacts: list[NamedPerson]
    follow_ups: list[FollowUpRead]
    discharge_at: datetime | None
    first_contact_hours: int
    first_contact_due_by: datetime | None = Field(description="Discharge + the first-contact target")
    crisis_plan: str | None
    out_of_hours_contacts: list[OutOfHoursContact]
    risk_formulation: str | None
    cnest: CnestLevel | None
    safety_alerts: SafetyAlerts
    reasonable_adjustments: list[str]
    young_person_views: str | None
    family_views: str | None
    agreed_with_young_person: bool | None
    legal: Legal
    review_date: date | None
    care_plan_version: int | None
    safety_plan_version: int | None
    readiness: Readiness | None = Field(description="What issuing still needs (drafts only)")
    created_by: str
    created_at: datetime
    issued_by: str | None
    issued_at: datetime | None
    distribution: Distribution | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_outcome: str | None
    superseded_by_id: int | None


class DischargePlanSummary(BaseModel):
    id: int
    status: DischargePlanStatus
    attendance_id: int | None
    created_at: datetime
    issued_at: datetime | None
    review_date: date | None


class PlanVersionSummary(BaseModel):
    version: int
    review_date: date
    review_overdue: bool
    recorded_at: datetime
    # The young person did not consent to share the care plan with the reader's agency: it exists, and
    # `ask` names whom to ask (the care coordinators), but its content is not shown to the reader.
    content_withheld: bool = False
    ask: list[PlanContact] = Field(default_factory=list)


class PlansOverview(BaseModel):
    young_person_ref: str
    care_plan: PlanVersionSummary | None
    safety_plan: PlanVersionSummary | None
    discharge_plans: list[DischargePlanSummary]
    warnings: list[str]
