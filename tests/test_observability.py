"""Metrics and health of the worker process, as Prometheus and an orchestrator see them."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from heardback.starter.client import HeardbackClient
from tests.conftest import SmtpSink, WorkerProcess, candidacy_input, free_port

pytestmark = pytest.mark.devserver


async def test_metrics_and_readiness_after_a_candidacy(
    devserver: tuple[WorkflowEnvironment, int], tmp_path: Path, smtp: SmtpSink
) -> None:
    env, port = devserver
    metrics_port, health_port = free_port(), free_port()
    worker = WorkerProcess(
        port,
        tmp_path,
        smtp,
        extra_env={
            "HEARDBACK_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",
            "HEARDBACK_METRICS_REFRESH_SECONDS": "0.5",
            "HEARDBACK_HEALTH_PORT": str(health_port),
        },
    )
    try:
        hb = HeardbackClient(env.client, task_queue=worker.task_queue)
        inp = candidacy_input()
        await hb.start_candidacy(inp)
        async with httpx.AsyncClient(timeout=5) as http:
            text = ""
            for _ in range(100):
                try:
                    text = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
                except httpx.TransportError:
                    text = ""
                counted = re.search(
                    r"^heardback_candidacies_open(\{[^}]*\})? ([1-9]\d*)", text, re.M
                )
                if 'kind="acknowledgement"' in text and counted:
                    break
                await asyncio.sleep(0.2)
            delivered = re.search(
                r'^heardback_messages_delivered_total\{[^}]*kind="acknowledgement"[^}]*\} (\d+)',
                text,
                re.MULTILINE,
            )
            assert delivered is not None, text[-2000:]
            assert int(delivered.group(1)) >= 1
            opened = re.search(r"^heardback_candidacies_open(\{[^}]*\})? (\d+)", text, re.M)
            assert opened is not None and int(opened.group(2)) >= 1
            assert "heardback_obligations_overdue" in text
            assert "temporal_activity_execution_latency" in text  # the SDK's own series
            assert inp.candidate.email not in text and inp.candidate.name not in text

            health = f"http://127.0.0.1:{health_port}"
            assert (await http.get(f"{health}/healthz")).status_code == 200
            ready = await http.get(f"{health}/readyz")
            assert ready.status_code == 200 and ready.json() == {"status": "ready"}
            assert (await http.get(f"{health}/nope")).status_code == 404
    finally:
        assert worker.stop() == 0
