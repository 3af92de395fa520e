"""RETENTION_*: the retention schedule (docs/retention.md), after the Records Management Code of Practice
for Health and Social Care (NHS England, 2021, updated 2023), Appendix II, for children's health and
safeguarding records. Settings only read and type the periods; `services/retention/rules.py` decides.
Where the Code leaves a period to local policy, the default is ours and says so."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RetentionSettings(BaseModel):
    """How long each category of what liaison holds is kept, and what is never erased."""

    # Children's records (the Code): until the 25th birthday, or the 26th if the young person was 17 at
    # the conclusion of treatment; or 8 years after death. Safeguarding records held by health: to the 25th
    # birthday or 8 years after the last contact, whichever is longer. liaison's record of a young person
    # is both, so it is kept to the later of the two.
    retention_record_until_age: int = Field(
        default=25, ge=18, le=125, description="A young person's record is kept at least to this birthday."
    )
    retention_record_until_age_if_17_at_end: int = Field(
        default=26,
        ge=18,
        le=125,
        description="... or to this birthday when they were 17 at their last contact (the end of treatment).",
    )
    retention_years_after_last_contact: int = Field(
        default=8, ge=1, le=100, description="... and at least this many years after the last contact."
    )
    retention_years_after_death: int = Field(
        default=8, ge=1, le=100, description="A deceased young person's record: this many years after death."
    )
    # Local policy (the Code sets no period for these):
    retention_unlinked_intake_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description=(
            "The inbound HL7 message log rows that came to no record (not registered, refused): kept for "
            "this many days after they arrived (idempotency and the operator's view need them only briefly). "
            "Local policy."
        ),
    )
    retention_token_days_after_end: int = Field(
        default=365,
        ge=1,
        le=3650,
        description=(
            "API tokens (sign-in rows): kept this many days after they expired or were revoked; their issue "
            "and revocation stay in the audit trail. Local policy."
        ),
    )
    retention_audit_years: int = Field(
        default=8,
        ge=1,
        le=125,
        description=(
            "Audit events older than this are reported as past retention. They are never erased by liaison "
            "(append-only, hash-chained): the IG officer archives the trail under the local procedure."
        ),
    )
    retention_hold_refs: str = Field(
        default="",
        description=(
            "Refs never erased whatever their age, comma-separated: a legal hold, a complaint, a "
            "safeguarding "
            "practice review or a public inquiry's instruction to retain (the Code, Appendix I)."
        ),
    )

    def held_refs(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.retention_hold_refs.split(",") if r.strip())
