"""`python -m heardback.worker`: run the heardback worker until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal

import structlog

from heardback.runtime.logs import configure_logging
from heardback.runtime.metrics import build_runtime
from heardback.runtime.settings import encryption_keys, get_settings
from heardback.runtime.temporal import connect, run_and_exit
from heardback.worker.health import observed
from heardback.worker.retention import keep_retention_schedule
from heardback.worker.search_attributes import ensure_search_attributes
from heardback.worker.wiring import build_worker, running
from heardback.workflows.errors import SearchAttributesMissing

log = structlog.get_logger("heardback.worker")


async def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        encryption_keys(settings)  # no keys, and encryption not explicitly off: refuse
    except ValueError as err:
        log.error("encryption_keys_missing", detail=str(err))  # noqa: TRY400 - no traceback
        return 2
    runtime = build_runtime(settings.metrics_address)
    try:
        client = await connect(settings, runtime)
    except Exception as err:
        log.exception("temporal_unreachable", address=settings.temporal_address, error=str(err))
        return 1
    try:
        added = await ensure_search_attributes(client, register=settings.register_search_attributes)
    except SearchAttributesMissing as err:
        log.error("search_attributes_missing", detail=str(err))  # noqa: TRY400 - no traceback needed
        return 1
    if added:
        log.info("search_attributes_registered", names=added)
    await keep_retention_schedule(client, settings)
    worker = build_worker(client, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker_started",
        address=settings.temporal_address,
        namespace=settings.namespace,
        task_queue=settings.task_queue,
        mail_transport=settings.mail_transport,
        ledger=settings.ledger,
        metrics=settings.metrics_address,
        health_port=settings.health_port,
        version=settings.worker_build_id
        and f"{settings.worker_deployment_name}.{settings.worker_build_id}",
    )
    async with observed(client, runtime, settings, stop), running(worker, client, settings):
        await stop.wait()
        log.info("worker_stopping")
    log.info("worker_stopped")
    return 0


if __name__ == "__main__":
    run_and_exit(main)
