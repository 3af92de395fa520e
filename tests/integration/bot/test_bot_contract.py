"""The bot and the API agree on the wire: the bot's own client (`bot.client.ChatApi`, over real HTTP to the
real API under uvicorn) makes every call the bot makes, and each real answer is read into the bot's typed
model and written back to exactly the JSON the API sent (nothing the API says is lost or misread).
`tests/unit/bot/test_contract.py` checks the same calls against the OpenAPI schema."""

from __future__ import annotations

import asyncio
import typing
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from bot import client as bot_client
from bot.client import ApiClient
from schemas.api.appointments import AppointmentOutcome, Barrier
from schemas.api.plans import FollowUpStatus
from schemas.checklists import Template
from schemas.enums import Agency, AssessmentStatus
from schemas.settings import get_settings
from tests.integration.bot.conftest import ApiServer
from tests.integration.bot.test_bot_plans import REASON, book, discharge_plan, safety_plan
from tests.integration.conftest import Case, World, add_care_coordinator, attendance, default_answers

CHAT = 737373


@pytest.fixture
def read_back(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every answer the bot parses is dumped back and compared with the JSON the API sent."""
    real = bot_client.parse
    checked: list[str] = []

    def parse_and_compare(model: Any, body: Any) -> Any:
        parsed = real(model, body)
        if model is Template:  # stored content, read by its aliases (linkId, enableWhen)
            assert Template.model_validate(parsed.model_dump(by_alias=True)) == parsed
        else:
            assert TypeAdapter(model).dump_python(parsed, mode="json") == body, model
        args = typing.get_args(model)  # list[X]
        checked.append(f"list[{args[0].__name__}]" if args else model.__name__)
        return parsed

    monkeypatch.setattr(bot_client, "parse", parse_and_compare)
    return checked


def test_every_answer_the_bot_reads_fits_its_model(
    client: TestClient, case: Case, world: World, api_server: ApiServer, read_back: list[str]
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    nurse = add_care_coordinator(client, world, case)
    sent = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert sent.status_code == 202, sent.text
    safety_plan(client, case, nurse)
    plan = discharge_plan(client, case, nurse, [-1, 2])
    booked = book(client, case, nurse, days=-1)
    key = get_settings().bot_key()
    assert key is not None

    async def calls() -> None:
        http = ApiClient(base_url=api_server.url, bot_key=key)
        api = http.for_chat(CHAT)
        try:
            assert (await api.link(nurse.link_code)).username == "nurse"
            assert (await api.me()).telegram_linked is True

            pending = await api.pending()
            assert pending.total == len(pending.notifications) >= 1
            assert {n.recipient for n in pending.notifications} == {"nurse"}
            about = await api.notifications(young_person=case.ref)
            assert {n.recipient for n in about} >= {"nurse", "jsmith"}
            acknowledged = await api.acknowledge(pending.notifications[0].id)
            assert acknowledged.acknowledged_by == "nurse" and acknowledged.acknowledged_via == "bot"
            assert (await api.young_person(case.ref)).ref == case.ref

            started = await api.open_or_start_assessment(case.ref)
            assert started.status == AssessmentStatus.draft
            template = await api.template(started.template_id, started.template_version)
            assert {i.link_id for i in template.items} >= set(started.open_items)
            for link_id, value in default_answers().items():
                assert (await api.answer(started.id, link_id, value)).via == "bot"
            completed = await api.complete(started.id, "Formulation written by the assessor.")
            assert completed.result is not None and completed.status == AssessmentStatus.completed
            [summary] = await api.assessments(case.ref)
            assert (await api.assessment(summary.id)).id == completed.id

            overview = await api.plans(case.ref)
            assert [p.id for p in overview.discharge_plans] == [plan["id"]]
            discharge = await api.discharge_plan(case.ref, plan["id"])
            assert discharge.care_coordinator is not None and discharge.care_coordinator.username == "nurse"
            [appointment] = await api.appointments(case.ref)
            assert appointment.id == booked["id"]

            missed = await api.appointment_outcome(
                case.ref,
                appointment.id,
                AppointmentOutcome(status="was_not_brought", reason=REASON, barriers=[Barrier.transport]),
            )
            assert missed.missed is not None and "nurse" in missed.missed.told
            follow_up = discharge.follow_ups[0]
            recorded = await api.follow_up_outcome(
                case.ref, discharge.id, follow_up.id, AppointmentOutcome(status=FollowUpStatus.attended)
            )
            assert [f.status for f in recorded.follow_ups if f.id == follow_up.id] == [
                FollowUpStatus.attended
            ]
        finally:
            await http.aclose()

    asyncio.run(calls())
    assert set(read_back) >= {
        "TelegramLinked",
        "UserRead",
        "PendingAlerts",
        "list[NotificationRead]",
        "NotificationRead",
        "YoungPersonRead",
        "list[AssessmentSummary]",
        "AssessmentRead",
        "Template",
        "AnswerRead",
        "PlansOverview",
        "DischargePlanRead",
        "AppointmentsRead",
        "AppointmentRead",
    }


def test_every_answer_of_the_checklist_and_chronology_calls_fits_its_model(
    client: TestClient, case: Case, world: World, api_server: ApiServer, read_back: list[str]
) -> None:
    from schemas.api.plans import DischargePlanUpdate, FollowUpCreate
    from schemas.api.transfers import AcceptBody, CompleteBody, ReasonBody, TickCreate, TransferItem
    from services.kernel.clock import utcnow
    from tests.integration.bot.test_bot_discharge import care_plan
    from tests.integration.bot.test_bot_transfer import move

    nurse = add_care_coordinator(client, world, case)
    care_plan(client, case, nurse)
    safety_plan(client, case, nurse)
    transfer, manager, _worker = move(client, case, world)
    key = get_settings().bot_key()
    assert key is not None

    async def calls() -> None:
        http = ApiClient(base_url=api_server.url, bot_key=key)
        api, boss = http.for_chat(CHAT), http.for_chat(CHAT + 1)
        try:
            await api.link(nurse.link_code)
            await boss.link(manager.link_code)
            assert {m.username for m in await api.care_team(case.ref)} == {"jsmith", "nurse"}
            draft = await api.draft_discharge_plan(case.ref)
            changed = await api.update_discharge_plan(
                case.ref, draft.id, DischargePlanUpdate(review_date="2027-02-01", crisis_plan="Words")
            )
            assert changed.review_date is not None
            soon = utcnow() + timedelta(hours=6)
            follow_up = FollowUpCreate(at=soon, owner_team="RBT-LIA", owner="nurse", location="Clinic")
            added = await api.add_follow_up(case.ref, draft.id, follow_up)
            assert added.follow_ups[0].within_first_contact_target
            assert (await api.issue_discharge_plan(case.ref, draft.id)).status == "issued"

            [listed] = await boss.transfers(case.ref)
            assert (await boss.transfer(listed.id)).id == transfer["id"]
            assert (await boss.accept_transfer(listed.id, AcceptBody())).status == "accepted"
            ticked = await boss.tick(listed.id, TransferItem.care_plan_shared, TickCreate(note="Sent"))
            assert TransferItem.care_plan_shared not in ticked.outstanding
            with pytest.raises(bot_client.ApiError) as refused:
                await boss.complete_transfer(listed.id, CompleteBody())
            assert refused.value.status == 409 and "outstanding" in refused.value.detail
            with pytest.raises(bot_client.ApiError) as declined:
                await boss.decline_transfer(listed.id, ReasonBody(reason="Accepted already"))
            assert declined.value.status == 409
            chronology = await api.chronology(case.ref)
            assert chronology.ref == case.ref and chronology.events
        finally:
            await http.aclose()

    asyncio.run(calls())
    assert set(read_back) >= {
        "list[CareTeamMemberRead]",
        "DischargePlanRead",
        "list[TransferRead]",
        "TransferRead",
        "Chronology",
    }
