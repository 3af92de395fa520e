"""The bot's async HTTP client of the liaison API. Every call is made for one chat: the API resolves the
user linked to that chat and applies that user's own permissions, validation and audit (via=bot).

The bot never touches the database; what it may see and do is what the API lets that user see and do.
"""

from __future__ import annotations

from typing import Any

import httpx

from schemas.enums import AssessmentStatus

OPEN_ASSESSMENT = (AssessmentStatus.draft, AssessmentStatus.in_progress)


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


class ChatApi:
    """The API calls the bot makes, as the user linked to one chat."""

    def __init__(self, client: ApiClient, chat_id: int) -> None:
        self._client = client
        self.chat_id = chat_id

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self._client.request(method, "/api/v1" + path, chat_id=self.chat_id, **kwargs)

    async def link(self, code: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/telegram/link", json={"code": code})
        return result

    async def me(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/me")
        return result

    async def notifications(self, *, young_person: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 500}
        if young_person is not None:
            params["young_person"] = young_person
        result: list[dict[str, Any]] = await self._call("GET", "/notifications", params=params)
        return result

    async def acknowledge(self, notification_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", f"/notifications/{notification_id}/acknowledge")
        return result

    async def young_person(self, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/young-people/{ref}")
        return result

    async def assessments(self, ref: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", f"/young-people/{ref}/assessments")
        return result

    async def assessment(self, assessment_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/assessments/{assessment_id}")
        return result

    async def start_assessment(self, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", f"/young-people/{ref}/assessments", json={})
        return result

    async def open_or_start_assessment(self, ref: str) -> dict[str, Any]:
        """The newest draft or in-progress assessment of this young person, else a new one."""
        for summary in await self.assessments(ref):  # newest first
            if summary["status"] in OPEN_ASSESSMENT:
                return await self.assessment(int(summary["id"]))
        return await self.start_assessment(ref)

    async def template(self, template_id: str, version: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", f"/assessment-templates/{template_id}/versions/{version}"
        )
        return result

    async def answer(self, assessment_id: int, link_id: str, value: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "PUT", f"/assessments/{assessment_id}/answers/{link_id}", json={"value": value}
        )
        return result

    async def complete(self, assessment_id: int, formulation: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/assessments/{assessment_id}/complete", json={"formulation": formulation}
        )
        return result

    async def plans(self, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/young-people/{ref}/plans")
        return result

    async def discharge_plan(self, ref: str, plan_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/young-people/{ref}/discharge-plans/{plan_id}")
        return result

    async def appointments(self, ref: str) -> list[dict[str, Any]]:
        result: dict[str, Any] = await self._call("GET", f"/young-people/{ref}/appointments")
        return list(result["appointments"])

    async def appointment_outcome(
        self, ref: str, appointment_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/young-people/{ref}/appointments/{appointment_id}/outcome", json=body
        )
        return result

    async def follow_up_outcome(
        self, ref: str, plan_id: int, follow_up_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST",
            f"/young-people/{ref}/discharge-plans/{plan_id}/follow-ups/{follow_up_id}/outcome",
            json=body,
        )
        return result
