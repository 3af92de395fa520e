"""Request and response bodies for teams and users."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, HttpUrl, model_validator

from schemas.enums import Agency, Role

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class TeamCreate(BaseModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    agency: Agency
    la_code: str | None = Field(default=None, min_length=1, max_length=16)
    is_duty: bool = False
    is_out_of_hours: bool = Field(
        default=False,
        description="The local authority's out-of-hours (emergency duty) team: told when an attendance "
        "alert escalates outside working hours.",
    )

    @model_validator(mode="after")
    def _out_of_hours_needs_la(self) -> TeamCreate:
        if self.is_out_of_hours and self.la_code is None:
            raise ValueError("an out-of-hours team covers a local authority: give its la_code")
        return self


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    agency: Agency
    la_code: str | None
    is_duty: bool
    is_out_of_hours: bool


class UserCreate(BaseModel):
    username: str = Field(pattern=CODE_PATTERN)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    team_code: str
    email: EmailStr | None = None
    webhook_url: HttpUrl | None = None


class UserRead(BaseModel):
    username: str
    display_name: str
    role: Role
    team: str
    email: str | None
    webhook_url: str | None
    telegram_linked: bool
    active: bool = Field(default=True, description="False once deactivated: nothing of theirs works")


class UserUpdate(BaseModel):
    """Only the fields sent change. An empty string clears a channel (`email`, `webhook_url`)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | Literal[""] | None = None
    webhook_url: HttpUrl | Literal[""] | None = None


class UserDeactivated(BaseModel):
    username: str
    tokens_revoked: int
    telegram_unlinked: bool
    deliveries_stopped: int = Field(description="Messages to them not yet sent, now never sent")
    young_people_affected: int = Field(
        description="Young people whose care team they were on, or who had an alert open to them: each "
        "one's duty team is told by ref (`member_left`)"
    )


class UserCreated(UserRead):
    token: str = Field(description="The API bearer token. Shown only this once.")
    link_code: str = Field(description="One-time code: send `/start <link_code>` to the bot.")


class TelegramLink(BaseModel):
    code: str = Field(min_length=4, max_length=64, description="The one-time code `liaison user add` printed")


class TelegramLinked(BaseModel):
    username: str
    display_name: str


class TokenCreate(BaseModel):
    name: str = Field(
        default="personal",
        pattern=CODE_PATTERN,
        description="What the token is for: `personal`, or the sending system of an integration account "
        "(e.g. `rbt-pas`).",
    )
    days: int | None = Field(
        default=None,
        ge=1,
        description="How long it lives; at most, and by default, API_TOKEN_DAYS (INTEGRATION_TOKEN_DAYS for "
        "an integration account).",
    )


class TokenRead(BaseModel):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]


class TokenIssued(TokenRead):
    token: str = Field(description="The bearer token. Shown only this once; only its digest is kept.")


class TokenRevoked(BaseModel):
    revoked: list[TokenRead]
    at: AwareDatetime
