"""Metrics and health for the worker.

Metrics: the Temporal SDK runtime serves Prometheus on `HEARDBACK_METRICS_ADDRESS` (its own
`temporal_*` series: task latencies, slots, polls, ...), and heardback's own series go through the
same meter, so one scrape gets both:

- `heardback_messages_delivered_total{kind}`: messages handed to the mail system.
- `heardback_delivery_failures_total{reason}`: `transient` (retried), `undeliverable` (refused for
  good, escalated), `busy` (another attempt held the message).
- `heardback_delivery_retries_total`: delivery attempts after the first.
- `heardback_candidacies_open` and `heardback_obligations_overdue`: from visibility, refreshed
  every 30 s (a running worker should keep the second at 0).

Health: `HEARDBACK_HEALTH_PORT` serves `/healthz` (the process is up) and `/readyz` (Temporal
answered within the last check).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import structlog
from temporalio import activity
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from worker.settings import Settings
from workflows import contract, search

log = structlog.get_logger("heardback.observability")

OPEN_QUERY = (
    f"WorkflowType = '{contract.CANDIDACY_WORKFLOW}' AND ExecutionStatus = 'Running' "
    f"AND {search.STATE.name} IN ('active', 'on_hold', 'finishing')"
)


def build_runtime(metrics_address: str | None) -> Runtime | None:
    """A runtime exporting Prometheus metrics, or None (the SDK's default, no export)."""
    if not metrics_address:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=metrics_address, counters_total_suffix=True)
        )
    )


def _meter() -> MetricMeter:
    try:
        return activity.metric_meter()
    except RuntimeError:  # outside an activity (unit tests)
        return MetricMeter.noop


def delivered(kind: str) -> None:
    _meter().create_counter(
        "heardback_messages_delivered", "messages handed to the mail system"
    ).add(1, {"kind": kind})


def delivery_failed(reason: str) -> None:
    _meter().create_counter(
        "heardback_delivery_failures", "delivery attempts that failed, by reason"
    ).add(1, {"reason": reason})


def delivery_retried() -> None:
    _meter().create_counter("heardback_delivery_retries", "delivery attempts after the first").add(
        1
    )


async def watch_gauges(
    client: Client, meter: MetricMeter, stop: asyncio.Event, every: float = 30.0
) -> None:
    """Keep the open/overdue gauges current from visibility, until `stop`."""
    open_gauge = meter.create_gauge("heardback_candidacies_open", "candidacies not yet decided")
    overdue_gauge = meter.create_gauge(
        "heardback_obligations_overdue", "running candidacies past their next deadline"
    )
    while not stop.is_set():
        try:
            now = datetime.now(UTC) - timedelta(seconds=60)  # grace for a timer just firing
            stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            open_count = (await client.count_workflows(OPEN_QUERY)).count
            overdue = (
                await client.count_workflows(
                    f"{OPEN_QUERY} AND {search.NEXT_DEADLINE.name} < '{stamp}'"
                )
            ).count
            open_gauge.set(open_count)
            overdue_gauge.set(overdue)
        except Exception as err:  # visibility unavailable: keep the last values
            log.warning("gauges_not_refreshed", error=type(err).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


@contextlib.asynccontextmanager
async def observed(
    client: Client, runtime: Runtime | None, settings: Settings, stop: asyncio.Event
) -> AsyncIterator[None]:
    """The gauges (when metrics are on) and the health listener (when a port is set), for as
    long as the block runs; `stop` ends the gauges' loop."""
    gauges = None
    if runtime is not None:
        gauges = asyncio.ensure_future(
            watch_gauges(client, runtime.metric_meter, stop, settings.metrics_refresh_seconds)
        )
    health = None
    if settings.health_port is not None:
        health = await Health(client).serve(settings.health_host, settings.health_port)
    try:
        yield
    finally:
        stop.set()
        if health is not None:
            health.close()
        if gauges is not None:
            await gauges


class Health:
    """`/healthz` and `/readyz` on a small HTTP listener; readiness pings Temporal."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def ready(self) -> bool:
        try:
            await self._client.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timedelta(seconds=2)
            )
        except Exception:
            return False
        return True

    async def serve(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self._handle, host, port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 5)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers: not needed
            path = line.split(" ")[1] if line.count(" ") >= 2 else ""
            if path == "/healthz":
                status, body = 200, b'{"status":"ok"}'
            elif path == "/readyz":
                ok = await self.ready()
                status = 200 if ok else 503
                body = b'{"status":"ready"}' if ok else b'{"status":"temporal unreachable"}'
            else:
                status, body = 404, b'{"status":"not found"}'
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()
