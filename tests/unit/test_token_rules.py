"""How long a bearer token lives, what state it is in and who manages it: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.enums import Role
from services.kernel.identity import Principal
from services.staff.rules import TokenLifeRefused, may_manage_tokens, token_life, token_status

NOW = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
DAYS = {"person_days": 90, "integration_days": 365}


def test_a_persons_token_lives_api_token_days_and_an_integrations_longer() -> None:
    assert token_life(Role.social_worker, None, **DAYS) == timedelta(days=90)
    assert token_life(Role.admin, None, **DAYS) == timedelta(days=90)
    assert token_life(Role.integration, None, **DAYS) == timedelta(days=365)


def test_a_shorter_life_may_be_asked_for_never_a_longer_one() -> None:
    assert token_life(Role.clinician, 7, **DAYS) == timedelta(days=7)
    assert token_life(Role.integration, 365, **DAYS) == timedelta(days=365)
    with pytest.raises(TokenLifeRefused, match="at most 90 days"):
        token_life(Role.social_worker, 91, **DAYS)
    with pytest.raises(TokenLifeRefused, match="at most 365 days"):
        token_life(Role.integration, 366, **DAYS)
    with pytest.raises(TokenLifeRefused, match="at least one day"):
        token_life(Role.social_worker, 0, **DAYS)


def test_a_token_is_active_until_it_expires_and_revoked_wins() -> None:
    expires = NOW + timedelta(days=1)
    assert token_status(expires_at=expires, revoked_at=None, now=NOW) == "active"
    assert token_status(expires_at=expires, revoked_at=None, now=expires) == "expired"  # not a second more
    assert token_status(expires_at=expires, revoked_at=NOW, now=NOW) == "revoked"
    assert token_status(expires_at=NOW - timedelta(days=1), revoked_at=NOW, now=NOW) == "revoked"


def _principal(user_id: int, role: Role) -> Principal:
    return Principal(user_id=user_id, username=f"u{user_id}", role=role, team_id=1, la_code="CEC")


def test_only_the_user_themself_or_the_admin_manages_their_tokens() -> None:
    assert may_manage_tokens(_principal(5, Role.social_worker), owner_user_id=5)
    assert may_manage_tokens(_principal(1, Role.admin), owner_user_id=5)
    for role in (Role.safeguarding_lead, Role.team_manager, Role.integration, Role.social_worker):
        assert not may_manage_tokens(_principal(6, role), owner_user_id=5), role
