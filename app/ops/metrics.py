"""/metrics in Prometheus' text format: requests by route template and status, their
latency, the database pool, and the webhook backlog and failures.

Each app has its own registry (the tests make many apps). With several uvicorn workers,
each process counts its own requests: scrape each, or run one worker per container.
"""

import hmac
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlmodel import col

from app.core.db import open_session
from app.core.errors import Unauthorized
from app.events.models import Event
from app.webhooks.models import UNFINISHED, DeliveryStatus, WebhookCursor, WebhookDelivery

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
router = APIRouter(tags=["health"])


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "reqtrack_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reqtrack_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(_DatabaseCollector(engine))
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled children, found once: labels() takes a lock and builds a key each call.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        children[0].inc()
        children[1].observe(seconds)


class _DatabaseCollector(Collector):
    """Read at scrape time: the pool as it is now, the webhook queue as the database has it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.pool
        if isinstance(pool, QueuePool):
            connections = GaugeMetricFamily(
                "reqtrack_db_pool_connections",
                "Database connections of this process's pool, by state.",
                labels=["state"],
            )
            connections.add_metric(["in_use"], pool.checkedout())
            connections.add_metric(["idle"], pool.checkedin())
            yield connections
            yield GaugeMetricFamily(
                "reqtrack_db_pool_size", "Connections the pool keeps open.", value=pool.size()
            )
        try:
            counts, behind = self._webhook_queue()
        except SQLAlchemyError:
            return  # the database is down: /readyz says so; the rest still scrapes
        deliveries = GaugeMetricFamily(
            "reqtrack_webhook_deliveries",
            "Webhook deliveries not yet done (pending, sending) and given up on (failed).",
            labels=["status"],
        )
        for status in (*UNFINISHED, DeliveryStatus.failed):
            deliveries.add_metric([status.value], counts.get(status, 0))
        yield deliveries
        yield GaugeMetricFamily(
            "reqtrack_webhook_events_behind",
            "Events the furthest-behind subscription has not yet queued for delivery.",
            value=behind,
        )

    def _webhook_queue(self) -> tuple[dict[str, int], int]:
        with open_session(self.engine, write=False) as session:
            status = col(WebhookDelivery.status)
            by_status = select(status, func.count()).group_by(status)
            counts: dict[str, int] = dict(session.execute(by_status).all())
            oldest_cursor = select(func.min(WebhookCursor.last_event_id)).scalar_subquery()
            behind = session.execute(
                select(func.count()).select_from(Event).where(col(Event.id) > oldest_cursor)
            ).scalar_one()
        return counts, behind


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format (scraped, not part of the API); with REQTRACK_METRICS_TOKEN
    set, only for `Authorization: Bearer <that token>`."""
    expected = request.app.state.settings.metrics_token
    if expected is not None:
        given = request.headers.get("authorization", "").encode()
        wanted = f"Bearer {expected.get_secret_value()}".encode()
        if not hmac.compare_digest(given, wanted):
            raise Unauthorized(
                "GET /metrics needs the metrics token (REQTRACK_METRICS_TOKEN) as a bearer token.",
                token_given=bool(given),
            )
    registry = request.app.state.metrics.registry
    # Collecting reads the database (the webhook queue): not on the event loop.
    return Response(await run_in_threadpool(generate_latest, registry), media_type=CONTENT_TYPE)
