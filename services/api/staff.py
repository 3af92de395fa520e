"""HTTP layer for the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, Request

from schemas.api.staff import TelegramLink, TelegramLinked, UserRead
from schemas.enums import Via
from schemas.settings import get_settings
from services.api.deps import BotChat, CurrentPrincipal, SessionDep, client_address, too_many
from services.kernel.throttle import Throttle
from services.staff import service as staff
from services.staff.models import User

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.get("/me", response_model=UserRead)
def me(session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    """Who the token belongs to."""
    return staff.to_read(session.get_one(User, principal.user_id))


@router.post(
    "/telegram/link",
    response_model=TelegramLinked,
    responses={
        404: {"description": "Unknown or already used code"},
        410: {"description": "Expired code"},
        429: {"description": "Too many wrong codes from this chat (or this address) lately"},
    },
)
def link_telegram(
    body: TelegramLink, chat_id: BotChat, session: SessionDep, request: Request
) -> TelegramLinked:
    """The bot only (its key and `X-Telegram-Chat-Id`): redeem a one-time link code for this chat.
    Wrong and expired codes are counted per chat and per address (LINK_CODE_FAILURES_PER_HOUR): a code
    is 10 characters of 32, and guessing them through the bot is slowed to a few a chat an hour."""
    per_hour = get_settings().link_code_failures_per_hour
    budgets = (
        (Throttle("link-code-chat", limit=per_hour, window_seconds=3600), str(chat_id)),
        (Throttle("link-code-address", limit=per_hour * 10, window_seconds=3600), client_address(request)),
    )
    for throttle, key in budgets:
        wait = throttle.wait(key)
        if wait is not None:
            raise too_many(wait, "wrong link codes")
    try:
        user = staff.redeem_link_code(session, code=body.code, chat_id=chat_id, via=Via.bot)
    except (staff.LinkCodeUnknown, staff.LinkCodeExpired):
        for throttle, key in budgets:
            throttle.failed(key)
        raise
    return TelegramLinked(username=user.username, display_name=user.display_name)
