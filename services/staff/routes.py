"""HTTP layer for the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from services.deps import CurrentPrincipal, SessionDep
from services.staff import service as staff
from services.staff.models import User
from services.staff.schemas import UserRead

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.get("/me", response_model=UserRead)
def me(session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    """Who the token belongs to."""
    return staff.to_read(session.get_one(User, principal.user_id))
