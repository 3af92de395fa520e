"""The bot's async HTTP client of the liaison API. Every call is made for one chat: the API resolves the
user linked to that chat and applies that user's own permissions, validation and audit (via=bot).

The bot never touches the database; what it may see and do is what the API lets that user see and do.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.api.appointments import AppointmentOutcome, AppointmentRead, AppointmentsRead
from schemas.api.assessments import (
    AnswerRead,
    AnswerSave,
    AssessmentComplete,
    AssessmentRead,
    AssessmentStart,
    AssessmentSummary,
)
from schemas.api.chronology import Chronology
from schemas.api.notifications import NotificationRead, PendingAlerts
from schemas.api.people import CareTeamMemberRead, YoungPersonRead
from schemas.api.plans import (
    DischargePlanCreate,
    DischargePlanRead,
    DischargePlanUpdate,
    FollowUpCreate,
    PlansOverview,
)
from schemas.api.staff import TelegramLink, TelegramLinked, UserRead
from schemas.api.transfers import AcceptBody, CompleteBody, ReasonBody, TickCreate, TransferItem, TransferRead
from schemas.checklists import Template
from schemas.enums import AssessmentStatus

log = logging.getLogger(__name__)
OPEN_ASSESSMENT = (AssessmentStatus.draft, AssessmentStatus.in_progress)
PENDING_SHOWN = 20  # how many of the caller's unacknowledged alerts /pending lists
T = TypeVar("T")


class ApiError(Exception):
    """The API said no (4xx) or could not be reached; `detail` is safe to show to the chat's user."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class NotLinked(ApiError):
    """401: the chat is linked to nobody (or the bot's key is wrong)."""


class Refused(ApiError):
    """403: the linked user may not do this."""


class Missing(ApiError):
    """404: no such thing (or it is hidden from this user)."""


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(str(d.get("msg", d)) for d in detail if isinstance(d, dict)) or "invalid request"
    return str(detail or f"HTTP {response.status_code}")


class ApiClient:
    """One shared connection pool; `for_chat` gives the calls made on behalf of one chat."""

    def __init__(self, *, base_url: str, bot_key: str, timeout: float = 10.0) -> None:
        self._key = bot_key
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    def for_chat(self, chat_id: int) -> ChatApi:
        return ChatApi(self, chat_id)

    async def request(self, method: str, path: str, *, chat_id: int, **kwargs: Any) -> Any:
        """The answer's JSON; raises ApiError (or a subclass) when the API says no or cannot be reached."""
        headers = {"Authorization": f"Bot {self._key}", "X-Telegram-Chat-Id": str(chat_id)}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(503, "liaison is not reachable just now; try again shortly") from exc
        if response.is_success:
            return response.json()
        detail = _detail(response)
        status = response.status_code
        if status == 401:
            raise NotLinked(status, detail)
        if status == 403:
            raise Refused(status, detail)
        if status == 404:
            raise Missing(status, detail)
        if status >= 500:
            raise ApiError(status, "liaison could not do that just now; try again shortly")
        raise ApiError(status, detail)


def parse(model: type[T], body: Any) -> T:
    """An API answer as its `schemas.api` model. An answer that does not fit means the bot and the API
    disagree on the contract: logged (the fields at fault, never their values) and told as a 502."""
    try:
        return TypeAdapter(model).validate_python(body)
    except ValidationError as exc:
        where = sorted({".".join(str(part) for part in e["loc"]) for e in exc.errors()})[:5]
        log.error("API answer does not fit %s at %s", getattr(model, "__name__", model), where)
        raise ApiError(502, "liaison answered in a way this bot does not understand") from exc


M = TypeVar("M", bound=BaseModel)


def build(model: type[M], **fields: Any) -> M:
    """A request body as the API's own model. What the API would refuse with 422 is refused here the same
    way (an ApiError with pydantic's messages), before anything is sent."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise ApiError(422, "; ".join(str(e["msg"]) for e in exc.errors()) or "invalid request") from exc


def body(request: BaseModel) -> dict[str, Any]:
    """A request model as the JSON sent: only the fields set, as the API reads them."""
    return request.model_dump(mode="json", exclude_unset=True)


class ChatApi:
    """The API calls the bot makes, as the user linked to one chat. Each answer is validated into the same
    `schemas.api` model the API declares as its response_model, and each request is built from the model
    the API reads."""

    def __init__(self, client: ApiClient, chat_id: int) -> None:
        self._client = client
        self.chat_id = chat_id

    async def _call(self, model: type[T], method: str, path: str, **kwargs: Any) -> T:
        answer = await self._client.request(method, "/api/v1" + path, chat_id=self.chat_id, **kwargs)
        return parse(model, answer)

    async def link(self, code: str) -> TelegramLinked:
        return await self._call(
            TelegramLinked, "POST", "/telegram/link", json=body(build(TelegramLink, code=code))
        )

    async def me(self) -> UserRead:
        return await self._call(UserRead, "GET", "/me")

    async def notifications(self, *, young_person: str) -> list[NotificationRead]:
        """The newest 500 notifications about one young person that this user may see."""
        params = {"limit": 500, "young_person": young_person}
        return await self._call(list[NotificationRead], "GET", "/notifications", params=params)

    async def pending(self, *, limit: int = PENDING_SHOWN) -> PendingAlerts:
        """This user's own notifications not yet acknowledged, oldest first, with how many there are."""
        return await self._call(PendingAlerts, "GET", "/me/pending", params={"limit": limit})

    async def acknowledge(self, notification_id: int) -> NotificationRead:
        return await self._call(NotificationRead, "POST", f"/notifications/{notification_id}/acknowledge")

    async def young_person(self, ref: str) -> YoungPersonRead:
        return await self._call(YoungPersonRead, "GET", f"/young-people/{ref}")

    async def assessments(self, ref: str) -> list[AssessmentSummary]:
        return await self._call(list[AssessmentSummary], "GET", f"/young-people/{ref}/assessments")

    async def assessment(self, assessment_id: int) -> AssessmentRead:
        return await self._call(AssessmentRead, "GET", f"/assessments/{assessment_id}")

    async def start_assessment(self, ref: str) -> AssessmentRead:
        path = f"/young-people/{ref}/assessments"
        return await self._call(AssessmentRead, "POST", path, json=body(AssessmentStart()))

    async def open_or_start_assessment(self, ref: str) -> AssessmentRead:
        """The newest draft or in-progress assessment of this young person, else a new one."""
        for summary in await self.assessments(ref):  # newest first
            if summary.status in OPEN_ASSESSMENT:
                return await self.assessment(summary.id)
        return await self.start_assessment(ref)

    async def template(self, template_id: str, version: int) -> Template:
        path = f"/assessment-templates/{template_id}/versions/{version}"
        return await self._call(Template, "GET", path)

    async def answer(self, assessment_id: int, link_id: str, value: Any) -> AnswerRead:
        path = f"/assessments/{assessment_id}/answers/{link_id}"
        return await self._call(AnswerRead, "PUT", path, json=body(build(AnswerSave, value=value)))

    async def complete(self, assessment_id: int, formulation: str) -> AssessmentRead:
        request = build(AssessmentComplete, formulation=formulation)
        path = f"/assessments/{assessment_id}/complete"
        return await self._call(AssessmentRead, "POST", path, json=body(request))

    async def plans(self, ref: str) -> PlansOverview:
        return await self._call(PlansOverview, "GET", f"/young-people/{ref}/plans")

    async def discharge_plan(self, ref: str, plan_id: int) -> DischargePlanRead:
        return await self._call(DischargePlanRead, "GET", f"/young-people/{ref}/discharge-plans/{plan_id}")

    async def appointments(self, ref: str) -> list[AppointmentRead]:
        found = await self._call(AppointmentsRead, "GET", f"/young-people/{ref}/appointments")
        return found.appointments

    async def appointment_outcome(
        self, ref: str, appointment_id: int, outcome: AppointmentOutcome
    ) -> AppointmentRead:
        path = f"/young-people/{ref}/appointments/{appointment_id}/outcome"
        return await self._call(AppointmentRead, "POST", path, json=body(outcome))

    async def follow_up_outcome(
        self, ref: str, plan_id: int, follow_up_id: int, outcome: AppointmentOutcome
    ) -> DischargePlanRead:
        path = f"/young-people/{ref}/discharge-plans/{plan_id}/follow-ups/{follow_up_id}/outcome"
        return await self._call(DischargePlanRead, "POST", path, json=body(outcome))

    async def care_team(self, ref: str) -> list[CareTeamMemberRead]:
        return await self._call(list[CareTeamMemberRead], "GET", f"/young-people/{ref}/care-team")

    async def chronology(self, ref: str) -> Chronology:
        return await self._call(Chronology, "GET", f"/young-people/{ref}/chronology")

    # -- the discharge plan's checklist (bot/discharge.py) ------------------------------------------------
    async def draft_discharge_plan(self, ref: str) -> DischargePlanRead:
        """A new draft: its care coordinator and lead social worker come from the care team."""
        path = f"/young-people/{ref}/discharge-plans"
        return await self._call(DischargePlanRead, "POST", path, json=body(DischargePlanCreate()))

    async def update_discharge_plan(
        self, ref: str, plan_id: int, changes: DischargePlanUpdate
    ) -> DischargePlanRead:
        path = f"/young-people/{ref}/discharge-plans/{plan_id}"
        return await self._call(DischargePlanRead, "PATCH", path, json=body(changes))

    async def add_follow_up(self, ref: str, plan_id: int, follow_up: FollowUpCreate) -> DischargePlanRead:
        path = f"/young-people/{ref}/discharge-plans/{plan_id}/follow-ups"
        return await self._call(DischargePlanRead, "POST", path, json=body(follow_up))

    async def issue_discharge_plan(self, ref: str, plan_id: int) -> DischargePlanRead:
        path = f"/young-people/{ref}/discharge-plans/{plan_id}/issue"
        return await self._call(DischargePlanRead, "POST", path)

    # -- the transfer's handover checklist (bot/transfer.py) -----------------------------------------------
    async def transfers(self, ref: str) -> list[TransferRead]:
        return await self._call(list[TransferRead], "GET", f"/young-people/{ref}/transfers")

    async def transfer(self, transfer_id: int) -> TransferRead:
        return await self._call(TransferRead, "GET", f"/transfers/{transfer_id}")

    async def tick(self, transfer_id: int, item: TransferItem, tick: TickCreate) -> TransferRead:
        path = f"/transfers/{transfer_id}/checklist/{item}"
        return await self._call(TransferRead, "POST", path, json=body(tick))

    async def accept_transfer(self, transfer_id: int, accept: AcceptBody) -> TransferRead:
        return await self._call(TransferRead, "POST", f"/transfers/{transfer_id}/accept", json=body(accept))

    async def decline_transfer(self, transfer_id: int, reason: ReasonBody) -> TransferRead:
        return await self._call(TransferRead, "POST", f"/transfers/{transfer_id}/decline", json=body(reason))

    async def complete_transfer(self, transfer_id: int, complete: CompleteBody) -> TransferRead:
        path = f"/transfers/{transfer_id}/complete"
        return await self._call(TransferRead, "POST", path, json=body(complete))
