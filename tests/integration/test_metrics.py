"""`/metrics` over the real app, database, Redis, SMTP server and rq worker, read by prometheus_client's own
parser as a Prometheus server would: each figure is what the records say, no label names a young person,
and the endpoint is closed without the scraper's token where one is set, and in production without one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from schemas.enums import Role
from schemas.settings import Settings
from services.api.metrics import refusal
from services.kernel.errors import NotFound
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, World, attendance, run_worker
from tests.integration.intake_helpers import hl7_fixture

HL7 = "x-application/hl7-v2+er7"
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "liaison-alerts.yml"


def scrape(client: TestClient, **headers: str) -> dict[str, list[Sample]]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(answer.text)}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [
        s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def test_each_figure_is_what_the_records_say_and_no_label_names_a_young_person(
    client: TestClient, case: Case, world: World, mailbox: Mailbox
) -> None:
    before = scrape(client)
    assert before["liaison_attendances_recorded"] == []

    assert (
        client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers).status_code
        == 202
    )
    queued = scrape(client)
    assert (
        value(queued["liaison_attendances_recorded"], "liaison_attendances_recorded_total", source="RBT-EDIS")
        == 1
    )
    assert value(queued["liaison_deliveries"], "liaison_deliveries", channel="email", status="pending") == 1
    assert value(queued["liaison_queue_jobs"], "liaison_queue_jobs", queue="notifications") == 1
    waiting = queued["liaison_notifications_unacknowledged"]
    assert value(waiting, "liaison_notifications_unacknowledged", kind="attendance") == 1

    run_worker()
    mailbox.wait_for(1)
    edsys = world.user("edsys", role=Role.integration, team="RBT-LIA")
    hl7 = client.post(
        "/api/v1/hl7/v2",
        content=hl7_fixture("bad-nhs-number.hl7"),
        headers={**edsys.headers, "content-type": HL7},
    )
    assert hl7.status_code == 200

    after = scrape(client)
    assert value(after["liaison_deliveries"], "liaison_deliveries", channel="email", status="delivered") == 1
    tries = after["liaison_delivery_attempts"]
    assert value(tries, "liaison_delivery_attempts_total", channel="email", outcome="delivered") == 1
    latency = after["liaison_delivery_latency_seconds"]
    assert value(latency, "liaison_delivery_latency_seconds_bucket", channel="email", le="+Inf") == 1
    assert value(latency, "liaison_delivery_latency_seconds_bucket", channel="email", le="60.0") == 1
    assert value(after["liaison_queue_jobs"], "liaison_queue_jobs", queue="notifications") == 0
    [inbound] = after["liaison_inbound_messages"]
    assert inbound.value == 1 and inbound.labels["via"] == "api" and inbound.labels["ack"] in ("AE", "AR")

    text = client.get("/metrics").text
    assert case.ref not in text and "Alex" not in text and "9990000018" not in text


def test_production_without_a_token_does_not_serve_it() -> None:
    production = Settings.model_construct(liaison_env="production", metrics_token=None)
    assert isinstance(refusal(production, None), NotFound)
    assert refusal(Settings.model_construct(liaison_env="development", metrics_token=None), None) is None


def test_a_set_token_closes_it(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "scrape-7d1f0c3e9b2a4d5e8f6a1b2c3d4e5f60")
    _reset_settings()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "liaison_deliveries" in scrape(
        client, Authorization="Bearer scrape-7d1f0c3e9b2a4d5e8f6a1b2c3d4e5f60"
    )


def test_the_example_alert_rules_name_only_metrics_liaison_exports(client: TestClient, case: Case) -> None:
    rules = yaml.safe_load(RULES.read_text())
    exported = set(scrape(client))  # family names, without _total / _bucket
    [group] = rules["groups"]
    for rule in group["rules"]:
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in ("page", "ticket")
        for name in re.findall(r"\b(liaison_[a-z_]+)", rule["expr"]):
            family = re.sub(r"_(total|bucket|gsum|gcount)$", "", name)
            assert family in exported, (rule["alert"], name)
