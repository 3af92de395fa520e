"""A worker keeps one transport a channel and configuration (an httpx client loads the CA bundle, ~100 ms,
and keeps its connections; an SMTP session saves the connect, STARTTLS and login), never shared with a
forked child."""

from __future__ import annotations

import os

from schemas.enums import Channel
from schemas.settings import Settings
from worker.channels import registry


def test_a_worker_keeps_one_webhook_transport_per_configuration() -> None:
    settings = Settings(secret_key="a" * 40)
    first = registry.transport_for(Channel.webhook, settings)
    assert registry.transport_for(Channel.webhook, settings) is first
    assert registry.transport_for(Channel.webhook, Settings(secret_key="b" * 40)) is not first
    assert registry.transport_for(Channel.email, settings) is registry.transport_for(Channel.email, settings)


def test_a_forking_worker_keeps_no_smtp_session() -> None:
    settings = Settings(secret_key="a" * 40, worker_mode="fork")  # each job's process ends with the job
    email = registry.transport_for(Channel.email, settings)
    assert email is not registry.transport_for(Channel.email, settings)


def test_a_forked_child_builds_its_own() -> None:
    registry.transport_for(Channel.webhook, Settings(secret_key="c" * 40))
    assert registry._kept
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports and leaves at once
        os.write(write, str(len(registry._kept)).encode())
        os._exit(0)
    os.close(write)
    kept_in_child = os.read(read, 16).decode()
    os.close(read)
    os.waitpid(child, 0)
    assert kept_in_child == "0"
