"""The worker's gauges (from visibility) and its health listener.

- `heardback_candidacies_open` and `heardback_obligations_overdue`: from visibility, refreshed
  every `HEARDBACK_METRICS_REFRESH_SECONDS` (a running worker should keep the second at 0).
- `HEARDBACK_HEALTH_PORT` serves `/healthz` (the process is up) and `/readyz` (Temporal answered
  within the last check).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import structlog
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.runtime import Runtime

from heardback.runtime.settings import Settings
from heardback.workflows import contract, search

log = structlog.get_logger("heardback.health")

OPEN_QUERY = (
    f"WorkflowType = '{contract.CANDIDACY_WORKFLOW}' AND ExecutionStatus = 'Running' "
    f"AND {search.STATE.name} IN ('active', 'on_hold', 'finishing')"
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
