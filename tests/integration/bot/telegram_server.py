"""A Bot API test server on a real loopback socket: the methods the bot and the worker use, long polling
over a queue the test feeds, and a record of everything sent to it."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "liaison", "username": "liaison_test_bot"}
LONG_POLL_CAP = 0.5  # answer getUpdates within this, so the bot stops quickly at the end of a test


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    def keyboard(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup")
        if not markup:
            return []
        keyboard: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        return keyboard


def _decode(value: str) -> Any:
    """PTB sends strings raw and JSON-encodes everything else."""
    try:
        return json.loads(value)
    except ValueError:
        return value


class TelegramServer:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._updates: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._lock = threading.Lock()
        self._failures: list[tuple[str, int, dict[str, Any]]] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- what the test does ------------------------------------------------------------------------------
    def start(self, port: int) -> None:
        app = Starlette(routes=[Route("/bot{token}/{method}", self._handle, methods=["POST", "GET"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "Bot API test server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)

    def _user(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Tester"}

    def _chat(self, chat_id: int, kind: str = "private") -> dict[str, Any]:
        return {"id": chat_id, "type": kind}

    def send_text(self, chat_id: int, text: str, *, chat_type: str = "private") -> None:
        """A person types `text` in their chat with the bot."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(chat_id),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._push({"message": message})

    def press(self, chat_id: int, data: str, message_id: int = 1) -> None:
        """A person presses an inline button whose callback data is `data`."""
        self._push(
            {
                "callback_query": {
                    "id": f"cq{next(self._ids)}",
                    "from": self._user(chat_id),
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": self._chat(chat_id),
                        "text": "an earlier message",
                    },
                }
            }
        )

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        """The next call of `method` gets this Bot API error (e.g. 403 blocked, 429 with retry_after)."""
        answer: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            answer["parameters"] = {"retry_after": retry_after}
        with self._lock:
            self._failures.append((method, status, answer))

    def _push(self, update: dict[str, Any]) -> None:
        with self._lock:
            update["update_id"] = next(self._ids)
            self._updates.append(update)

    def sent(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method and c.status == 200 and (chat_id is None or c.chat_id == chat_id)
            ]

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"timed out waiting for {what}; calls: {[(c.method, c.params) for c in self.calls]}"
        )

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 15.0) -> list[Call]:
        found: list[Call] = self.wait_for(
            lambda: len(self.sent("sendMessage", chat_id)) >= count and self.sent("sendMessage", chat_id),
            f"{count} messages to chat {chat_id}",
            timeout,
        )
        return found

    # -- the Bot API -------------------------------------------------------------------------------------
    async def _handle(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        body = (await request.body()).decode()
        if request.headers.get("content-type", "").startswith("application/json"):
            params = json.loads(body or "{}")
        else:
            params = {k: _decode(v) for k, v in parse_qsl(body)}
        if method == "getUpdates":
            return await self._get_updates(params)
        with self._lock:
            failure = next((f for f in self._failures if f[0] == method), None)
            if failure is not None:
                self._failures.remove(failure)
                self.calls.append(Call(method, params, failure[1]))
                return JSONResponse(failure[2], failure[1])
            self.calls.append(Call(method, params))
        match method:
            case "getMe":
                return self._ok(BOT_USER)
            case "deleteWebhook" | "setMyCommands" | "answerCallbackQuery":
                return self._ok(True)
            case "sendMessage":
                chat_id = int(params["chat_id"])
                return self._ok(
                    {
                        "message_id": next(self._message_ids),
                        "date": int(time.time()),
                        "chat": self._chat(chat_id),
                        "from": BOT_USER,
                        "text": params.get("text", ""),
                    }
                )
            case "editMessageText":
                return self._ok(
                    {
                        "message_id": int(params.get("message_id", 1)),
                        "date": int(time.time()),
                        "chat": self._chat(int(params.get("chat_id", 0))),
                        "text": params.get("text", ""),
                    }
                )
        return JSONResponse(
            {"ok": False, "error_code": 400, "description": f"Bad Request: {method} not implemented"}, 400
        )

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        offset = int(params.get("offset") or 0)
        with self._lock:  # as Telegram does: an offset confirms every update before it, which are forgotten
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        while True:
            with self._lock:
                ready = [u for u in self._updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline:
                return self._ok(ready)
            await asyncio.sleep(0.02)

    @staticmethod
    def _ok(result: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "result": result})
