"""Who is told of an attendance, on which channels, and when a failed delivery is retried."""

from __future__ import annotations

import pytest

from schemas.enums import CareTeamRole, Channel
from services.notifications.rules import (
    Member,
    Recipient,
    channels_for,
    retry_delay_seconds,
    select_recipients,
    should_retry,
)

LEAD = Member(1, CareTeamRole.lead_social_worker)
CAMHS = Member(2, CareTeamRole.camhs)
DUTY = {"CEC": [50, 51], "FIF": [60]}


def test_the_care_team_is_told_and_no_duty_team_when_there_is_a_lead() -> None:
    got = select_recipients(
        members=[LEAD, CAMHS], responsible_la="CEC", residence_la=None, duty_users_by_la=DUTY
    )
    assert got == [
        Recipient(1, CareTeamRole.lead_social_worker, "care_team"),
        Recipient(2, CareTeamRole.camhs, "care_team"),
    ]


def test_residence_in_the_same_la_adds_no_duty_team() -> None:
    got = select_recipients(members=[LEAD], responsible_la="CEC", residence_la="CEC", duty_users_by_la=DUTY)
    assert [r.user_id for r in got] == [1]


def test_without_a_lead_social_worker_the_responsible_duty_team_is_told() -> None:
    got = select_recipients(members=[CAMHS], responsible_la="CEC", residence_la=None, duty_users_by_la=DUTY)
    assert got == [
        Recipient(2, CareTeamRole.camhs, "care_team"),
        Recipient(50, CareTeamRole.duty, "no_lead_social_worker"),
        Recipient(51, CareTeamRole.duty, "no_lead_social_worker"),
    ]


def test_an_empty_care_team_still_reaches_the_duty_team() -> None:
    got = select_recipients(members=[], responsible_la="CEC", residence_la=None, duty_users_by_la=DUTY)
    assert [r.user_id for r in got] == [50, 51]


def test_cross_border_the_residence_duty_team_is_told_too() -> None:
    got = select_recipients(members=[LEAD], responsible_la="CEC", residence_la="FIF", duty_users_by_la=DUTY)
    assert got == [
        Recipient(1, CareTeamRole.lead_social_worker, "care_team"),
        Recipient(60, CareTeamRole.duty, "cross_border"),
    ]


def test_each_person_is_told_once_and_their_member_role_wins() -> None:
    members = [Member(50, CareTeamRole.camhs), Member(60, CareTeamRole.gp), Member(50, CareTeamRole.other)]
    got = select_recipients(
        members=members,
        responsible_la="CEC",
        residence_la="FIF",
        duty_users_by_la={"CEC": [50, 51], "FIF": [60, 51]},
    )
    assert got == [
        Recipient(50, CareTeamRole.camhs, "care_team"),
        Recipient(60, CareTeamRole.gp, "care_team"),
        Recipient(51, CareTeamRole.duty, "no_lead_social_worker"),
    ]
    assert len({r.user_id for r in got}) == len(got)


def test_no_duty_team_configured_means_only_the_care_team() -> None:
    got = select_recipients(members=[CAMHS], responsible_la="ZZZ", residence_la="YYY", duty_users_by_la=DUTY)
    assert [r.user_id for r in got] == [2]


@pytest.mark.parametrize(
    ("email", "webhook", "chat", "expected"),
    [
        ("a@example.org", "https://hook", 42, [Channel.telegram, Channel.email, Channel.webhook]),
        ("a@example.org", None, None, [Channel.email]),
        (None, "https://hook", 0, [Channel.telegram, Channel.webhook]),
        ("", "", None, []),
        (None, None, None, []),
    ],
)
def test_channels_in_the_order_they_are_tried(
    email: str | None, webhook: str | None, chat: int | None, expected: list[Channel]
) -> None:
    assert channels_for(email=email, webhook_url=webhook, telegram_chat_id=chat) == expected


def test_retry_delay_doubles_each_attempt_then_caps() -> None:
    delays = [retry_delay_seconds(attempt=a, base=10, cap=300) for a in range(1, 8)]
    assert delays == [10, 20, 40, 80, 160, 300, 300]


def test_retry_delay_huge_attempt_stays_capped() -> None:
    assert retry_delay_seconds(attempt=200, base=10, cap=900) == 900


def test_retry_after_wins_only_when_longer() -> None:
    assert retry_delay_seconds(attempt=1, base=10, cap=300, retry_after=2) == 10
    assert retry_delay_seconds(attempt=1, base=10, cap=300, retry_after=45) == 45
    assert retry_delay_seconds(attempt=1, base=10, cap=300, retry_after=45.2) == 46
    assert retry_delay_seconds(attempt=6, base=10, cap=300, retry_after=3600) == 3600


@pytest.mark.parametrize(
    ("attempt", "permanent", "expected"),
    [(1, False, True), (5, False, True), (6, False, False), (7, False, False), (1, True, False)],
)
def test_should_retry(attempt: int, permanent: bool, expected: bool) -> None:
    assert should_retry(attempt=attempt, max_attempts=6, permanent=permanent) is expected


@pytest.mark.parametrize(("spent", "expected"), [(0, True), (3599, True), (3600, False), (90000, False)])
def test_the_retry_budget_is_measured_in_time(spent: float, expected: bool) -> None:
    assert (
        should_retry(attempt=40, max_attempts=500, permanent=False, spent_seconds=spent, budget_seconds=3600)
        is expected
    )
