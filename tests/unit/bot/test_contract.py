"""The bot and the API agree on every call the bot makes: each `ChatApi` method calls an operation of the
API's OpenAPI schema whose response (and request body) is the very `schemas` model the bot reads (and
builds). A model the bot keeps for itself, a route whose response_model changes, or a new bot call to a
path the API does not have, fails here. `tests/integration/bot/test_bot_contract.py` parses real answers."""

from __future__ import annotations

import asyncio
import re
import typing
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from pydantic import BaseModel

from bot import client as bot_client
from bot.client import ApiError, ChatApi
from schemas.api.appointments import AppointmentOutcome
from schemas.api.plans import DischargePlanUpdate, FollowUpCreate
from schemas.api.transfers import AcceptBody, CompleteBody, ReasonBody, TickCreate, TransferItem
from services.app import create_app

COMPOSITE = {"open_or_start_assessment"}  # made of the calls below
# The template's content is stored data: its route declares no response_model and answers the stored
# template, which the bot reads as the model every template is validated with.
UNDECLARED = {"/api/v1/assessment-templates/{template_id}/versions/{version}": "Template"}
Call = Callable[[ChatApi], Coroutine[Any, Any, Any]]
CALLS: dict[str, Call] = {
    "link": lambda api: api.link("ABCD-1234"),
    "me": lambda api: api.me(),
    "notifications": lambda api: api.notifications(young_person="YP-00000-00000"),
    "pending": lambda api: api.pending(),
    "acknowledge": lambda api: api.acknowledge(7),
    "young_person": lambda api: api.young_person("YP-00000-00000"),
    "assessments": lambda api: api.assessments("YP-00000-00000"),
    "assessment": lambda api: api.assessment(7),
    "start_assessment": lambda api: api.start_assessment("YP-00000-00000"),
    "template": lambda api: api.template("cnest-style", 1),
    "answer": lambda api: api.answer(7, "a.one", "yes"),
    "complete": lambda api: api.complete(7, "formulation"),
    "plans": lambda api: api.plans("YP-00000-00000"),
    "discharge_plan": lambda api: api.discharge_plan("YP-00000-00000", 3),
    "appointments": lambda api: api.appointments("YP-00000-00000"),
    "appointment_outcome": lambda api: api.appointment_outcome(
        "YP-00000-00000", 5, AppointmentOutcome(status="attended")
    ),
    "follow_up_outcome": lambda api: api.follow_up_outcome(
        "YP-00000-00000", 3, 4, AppointmentOutcome(status="attended")
    ),
    "care_team": lambda api: api.care_team("YP-00000-00000"),
    "chronology": lambda api: api.chronology("YP-00000-00000"),
    "draft_discharge_plan": lambda api: api.draft_discharge_plan("YP-00000-00000"),
    "update_discharge_plan": lambda api: api.update_discharge_plan(
        "YP-00000-00000", 3, DischargePlanUpdate(review_date="2027-01-01")
    ),
    "add_follow_up": lambda api: api.add_follow_up(
        "YP-00000-00000",
        3,
        FollowUpCreate(at="2026-12-01T10:00:00+00:00", owner_team="CEC-CAMHS", location="clinic"),
    ),
    "issue_discharge_plan": lambda api: api.issue_discharge_plan("YP-00000-00000", 3),
    "transfers": lambda api: api.transfers("YP-00000-00000"),
    "transfer": lambda api: api.transfer(4),
    "tick": lambda api: api.tick(4, TransferItem.gp_registration, TickCreate(note="registered")),
    "accept_transfer": lambda api: api.accept_transfer(4, AcceptBody()),
    "decline_transfer": lambda api: api.decline_transfer(4, ReasonBody(reason="not ours")),
    "complete_transfer": lambda api: api.complete_transfer(4, CompleteBody()),
}


class Recorder:
    """Stands in for the HTTP client: records each request and answers nothing in particular."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    async def request(self, method: str, path: str, *, chat_id: int, **kwargs: Any) -> Any:
        self.requests.append((method, path))
        return {}


def _ref_name(schema: dict[str, Any]) -> str:
    if schema.get("type") == "array":
        return f"list[{_ref_name(schema['items'])}]"
    ref = schema.get("$ref", "")
    return str(ref.rsplit("/", 1)[-1]) if ref else "untyped"


def _model_name(model: Any) -> str:
    if typing.get_origin(model) is list:
        return f"list[{_model_name(typing.get_args(model)[0])}]"
    assert isinstance(model, type) and issubclass(model, BaseModel), model
    assert model.__module__.startswith("schemas."), f"{model.__name__} is not a shared schemas model"
    return model.__name__


def _operation(openapi: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The OpenAPI path template that `path` is an instance of, and its operation for `method`."""
    found = [
        (template, operations[method.lower()])
        for template, operations in openapi["paths"].items()
        if method.lower() in operations and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path)
    ]
    assert found, f"the API has no {method} {path}"
    # A literal segment beats a parameter (/me/pending before /me/{x}, were there one).
    return min(found, key=lambda pair: pair[0].count("{"))


def _answer_schema(operation: dict[str, Any]) -> dict[str, Any]:
    ok = next(code for code in operation["responses"] if code.startswith("2"))
    content = operation["responses"][ok].get("content", {})
    schema: dict[str, Any] = content.get("application/json", {}).get("schema", {})
    return schema


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app().openapi()


def test_every_bot_call_is_listed_here() -> None:
    methods = {
        name
        for name in vars(ChatApi)
        if not name.startswith("_") and asyncio.iscoroutinefunction(getattr(ChatApi, name))
    }
    assert methods - COMPOSITE == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_bot_reads_and_sends_the_models_the_api_declares(
    name: str, openapi: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    parsed: list[Any] = []
    sent: list[type[BaseModel]] = []
    real_body = bot_client.body

    def recording_parse(model: Any, body: Any) -> Any:
        parsed.append(model)
        return AnyAnswer()

    def recording_body(request: BaseModel) -> dict[str, Any]:
        sent.append(type(request))
        return real_body(request)

    monkeypatch.setattr(bot_client, "parse", recording_parse)
    monkeypatch.setattr(bot_client, "body", recording_body)
    api = ChatApi(recorder, 1)  # type: ignore[arg-type]  # the recorder stands in for ApiClient
    asyncio.run(CALLS[name](api))

    [(method, path)] = recorder.requests
    [model] = parsed
    template, operation = _operation(openapi, method, path)
    declared = _answer_schema(operation)
    expected = UNDECLARED[template] if _ref_name(declared) == "untyped" else _ref_name(declared)
    assert _model_name(model) == expected, f"{method} {template}"

    request_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if request_schema:
        assert [_model_name(m) for m in sent] == [_ref_name(request_schema["schema"])], f"{method} {template}"
    else:
        assert sent == [], f"{method} {template} takes no body"


class AnyAnswer:
    """What the recording parse hands back: any attribute (e.g. `.appointments`) is an empty list."""

    def __getattr__(self, name: str) -> list[Any]:
        return []


def test_an_answer_that_does_not_fit_the_model_is_a_502_naming_no_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from schemas.api.staff import UserRead

    with pytest.raises(ApiError) as refused:
        bot_client.parse(UserRead, {"username": "jsmith", "display_name": "Private Name"})
    assert refused.value.status == 502
    assert "role" in caplog.text and "Private Name" not in caplog.text


def test_a_request_the_api_would_refuse_is_refused_before_it_is_sent() -> None:
    from schemas.api.staff import TelegramLink

    with pytest.raises(ApiError) as refused:
        bot_client.build(TelegramLink, code="abc")
    assert refused.value.status == 422 and "at least 4 characters" in refused.value.detail
