"""`GET /metrics`: operational metrics in the Prometheus text format (`services/flows/metrics.py` says what
each is). A scraper sends `Authorization: Bearer <METRICS_TOKEN>`; with no METRICS_TOKEN the endpoint is
open in development and not served in production. Not part of the OpenAPI: it is for the scraper."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from schemas.settings import Settings, get_settings
from services.flows.metrics import LiaisonCollector
from services.kernel.db import session_factory
from services.kernel.errors import DomainError, NotFound
from services.kernel.redis_conn import get_redis

router = APIRouter()


class MetricsUnauthorised(DomainError):
    status_code = 401


def refusal(settings: Settings, authorization: str | None) -> DomainError | None:
    """Why this scrape is refused, or None: the token when one is set; production serves none without."""
    if settings.metrics_token is None:
        return NotFound("not found") if settings.liaison_env == "production" else None
    expected = f"Bearer {settings.metrics_token.get_secret_value()}"
    if not hmac.compare_digest((authorization or "").encode(), expected.encode()):
        return MetricsUnauthorised("send the METRICS_TOKEN as a bearer token")
    return None


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    refused = refusal(get_settings(), request.headers.get("authorization"))
    if refused is not None:
        raise refused
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LiaisonCollector(session_factory(), get_redis()))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
