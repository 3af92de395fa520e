"""The chaos run's webhook receiver: a real HTTP server that misbehaves as receivers do, and honours
Idempotency-Key as a careful one would (a repeat of a key it has taken is a duplicate it does not show
anyone again). Each key's first request may get a 500, a 429 (Retry-After: 1), a dropped connection
before or after the alert was taken, or a reply slower than the sender's 10 s timeout (taken first); its
second may get a 500; later ones are answered 200."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLOW_SECONDS = 12.0  # longer than the webhook channel's 10 s timeout
FIRST = (("ok", 0.70), ("500", 0.12), ("429", 0.07), ("drop_after", 0.04), ("slow", 0.02), ("drop", 0.05))
SECOND = (("ok", 0.8), ("500", 0.2))


def _pick(table: tuple[tuple[str, float], ...], roll: float) -> str:
    for name, weight in table:
        roll -= weight
        if roll <= 0:
            return name
    return table[-1][0]


@dataclass
class Receipt:
    user: str
    ref: str
    kind: str
    key: str
    at: float


@dataclass
class Receiver:
    seed: int = 14
    taken: list[Receipt] = field(default_factory=list)  # every alert the receiver accepted, repeats too
    requests: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def choose(self, key: str) -> str:
        with self.lock:
            self.requests += 1
            n = self.tries[key] = self.tries.get(key, 0) + 1
            table = FIRST if n == 1 else SECOND if n == 2 else (("ok", 1.0),)
            name = _pick(table, random.Random(f"{self.seed}:{key}:{n}").random())  # noqa: S311 - dice
            self.answers[name] = self.answers.get(name, 0) + 1
            return name

    def take(self, user: str, body: dict[str, Any], key: str) -> None:
        receipt = Receipt(user, str(body.get("young_person_ref")), str(body.get("type")), key, time.time())
        with self.lock:
            self.taken.append(receipt)

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                return

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                user = self.path.strip("/")
                answer = receiver.choose(key)
                if answer in ("ok", "drop_after", "slow"):
                    receiver.take(user, body, key)
                if answer in ("drop", "drop_after"):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if answer == "slow":
                    time.sleep(SLOW_SECONDS)
                status = {"500": 500, "429": 429}.get(answer, 200)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
