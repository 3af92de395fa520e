"""HTTP layer for the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from schemas.api.staff import TelegramLink, TelegramLinked, UserRead
from schemas.enums import Via
from services.deps import BotChat, CurrentPrincipal, SessionDep
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
    responses={404: {"description": "Unknown or already used code"}, 410: {"description": "Expired code"}},
)
def link_telegram(body: TelegramLink, chat_id: BotChat, session: SessionDep) -> TelegramLinked:
    """The bot only (its key and `X-Telegram-Chat-Id`): redeem a one-time link code for this chat."""
    user = staff.redeem_link_code(session, code=body.code, chat_id=chat_id, via=Via.bot)
    return TelegramLinked(username=user.username, display_name=user.display_name)
