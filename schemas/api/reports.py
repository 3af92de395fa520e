"""The partnership report (Recommendation 6 of the review): figures for one local authority and period,
computed from the records, never entered by hand. No young person is named in it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class AckFigure(BaseModel):
    attendances: int = Field(description="Attendances whose alert reached this agency (or anyone)")
    acknowledged: int
    median_minutes: float | None = Field(description="Median minutes from recording to first acknowledgement")
    p90_minutes: float | None = Field(description="90th percentile (nearest rank), minutes")


class ShareFigure(BaseModel):
    met: int
    of: int
    percent: float | None


class PartnershipReport(BaseModel):
    la_code: str
    period_from: date = Field(description="First day, inclusive")
    period_to: date = Field(description="Last day, inclusive")
    attendances: int = Field(description="Acute attendances recorded for young people the authority holds")
    acknowledgement: dict[str, AckFigure] = Field(
        description="Time to first acknowledgement: `all`, and by the agency of whoever was told"
    )
    follow_up_within_72h: ShareFigure = Field(
        description="Discharges (attendances ended) with a community appointment booked within 72 hours"
    )
    plans_reached_within_24h: ShareFigure = Field(
        description="Discharge plans issued whose every recipient was reached within 24 hours"
    )
    repeat_attenders: int = Field(description="Young people whose attendances met a repeat-attendance rule")
    misses_by_service: dict[str, dict[str, int]] = Field(
        description="Missed appointments standing (not withdrawn): by the owning service's agency, then "
        "`was_not_brought` / `did_not_attend`"
    )
    closures_refused: dict[str, int] = Field(description="Closure steps the guard refused, by reason code")
    transfers_accepted_in_time: ShareFigure = Field(
        description="Transfers into the authority accepted within TRANSFER_ACCEPT_WORKING_DAYS"
    )
    not_measured: list[str] = Field(description="Figures the records cannot give yet, and why")
