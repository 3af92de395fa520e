"""Who is calling, as plain data: every layer above the kernel acts for a `Principal`."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.enums import Role, Via


@dataclass(frozen=True)
class Principal:
    """The caller, as plain data. `via` says how they came: a bearer token (api) or the Telegram bot, acting
    for the user linked to a chat (bot); every audit event and answer the API writes for them carries it."""

    user_id: int
    username: str
    role: Role
    team_id: int
    la_code: str | None
    via: Via = Via.api
