"""Response bodies for reading the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    actor_username: str
    actor_role: str
    young_person_ref: str | None
    action: str
    outcome: str
    via: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    """Events newest first. `next_before` is the `before` that fetches the next (older) page; null at the
    end. Paging by id rather than offset: events recorded meanwhile do not shift the pages."""

    events: list[AuditEventRead]
    next_before: int | None = Field(default=None)
