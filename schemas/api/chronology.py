"""A young person's chronology as the API answers it (`GET /young-people/{ref}/chronology`), shared with the
bot (`bot/chronology.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ChronologyEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    summary: str
    detail: dict[str, Any]


class Chronology(BaseModel):
    ref: str
    events: list[ChronologyEvent]
