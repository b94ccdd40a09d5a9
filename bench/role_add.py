"""Benchmark: adding N candidates to one role, three ways, in one run on one dev server.

    python -m bench.role_add [--candidates 5000] [--record docs/PERFORMANCE.md]

1. `add_candidate`, one Role update per candidate (6 in flight: Temporal admits 10 updates in
   flight per workflow), on a first role;
2. `add_candidates`, the batch path (the client starts each candidacy itself, 50 at a time; the
   candidacies report to their Role), on a second role;
3. raw Temporal: starting N trivial workflows (bench.baseline's waiter), 50 at a time.

Each side's time runs until every candidacy is started and the Role counts all N (the raw side:
until every start returned). Acknowledgements go to the file outbox; encryption is on, as in the
default install. A benchmark, not a test: JSON on stdout; --record appends a row.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.baseline import BaselineWaiter, baseline_noop
from bench.concurrency import bounded
from bench.lifecycle import _free_port, cpu_s, server_pid
from heardback.runtime.converter import data_converter
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_worker, running
from heardback.workflows import search
from heardback.workflows.errors import HeardbackError
from heardback.workflows.models import Candidate, Policy, Role, RoleInput

# The dev server as the default install runs it (`make run`: its SQLite pragmas).
PRAGMAS = [
    arg
    for pragma in Settings.model_fields["dev_sqlite_pragmas"].default.split(",")
    if pragma.strip()
    for arg in ("--sqlite-pragma", pragma.strip())
]


def people(prefix: str, n: int) -> list[Candidate]:
    return [
        Candidate(id=f"{prefix}-{i}", name=f"P {i}", email=f"p{i}@example.org") for i in range(n)
    ]


async def counted(hb: HeardbackClient, role_id: str, n: int, timeout: float) -> int:
    """Wait until the role counts n active; a slow `summary` is counted, never fatal."""
    deadline, slow = time.monotonic() + timeout, 0
    while True:
        try:
            if (await hb.summary(role_id)).by_state.get("active", 0) >= n:
                return slow
        except HeardbackError:  # the query timed out while the worker was saturated
            slow += 1
        if time.monotonic() > deadline:
            raise TimeoutError(f"role {role_id} never counted {n}")
        await asyncio.sleep(0.5)


class Cpu:
    """CPU seconds of this process (driver and worker) and of the dev server, over a phase."""

    def __init__(self, server: int | None) -> None:
        self._pids = {"process": os.getpid(), **({"server": server} if server else {})}
        self._t0 = {k: cpu_s(pid) for k, pid in self._pids.items()}

    def per(self, n: int) -> dict[str, float]:
        """ms per candidate, by process, and in all."""
        used = {k: (cpu_s(pid) - self._t0[k]) * 1000 / n for k, pid in self._pids.items()}
        return {**{k: round(v, 1) for k, v in used.items()}, "total": round(sum(used.values()), 1)}


async def measure(
    client: Client, settings: Settings, n: int, server: int | None = None
) -> dict[str, Any]:
    hb = HeardbackClient(client, task_queue=settings.task_queue)
    cpu: dict[str, dict[str, float]] = {}
    for role_id in ("one-by-one", "batch"):
        await hb.open_role(
            RoleInput(
                role=Role(
                    id=role_id, title="Engineer", company="Bench Co",
                    contact_email="jobs@bench.example",
                ),
                policy=Policy(quiet_hours=None),
            )
        )  # fmt: skip
    async with running(build_worker(client, settings), client, settings):
        t0, used = time.monotonic(), Cpu(server)
        one = people("o", n)
        await bounded(range(n), lambda i: hb.add_candidate("one-by-one", one[i]), 6)
        slow = await counted(hb, "one-by-one", n, 900)
        one_by_one = time.monotonic() - t0
        cpu["one_by_one"] = used.per(n)

        await asyncio.sleep(2.0)  # the last acknowledgements written
        t1, used = time.monotonic(), Cpu(server)
        answers = await hb.add_candidates("batch", people("b", n), concurrency=50)
        slow += await counted(hb, "batch", n, 900)
        batch = time.monotonic() - t1
        cpu["batch"] = used.per(n)
        refused = sum(1 for a in answers if a.refused)
        await asyncio.sleep(2.0)

    raw_queue = "bench-role-add-raw"
    async with Worker(
        client, task_queue=raw_queue, workflows=[BaselineWaiter], activities=[baseline_noop]
    ):
        t2, used = time.monotonic(), Cpu(server)
        await bounded(
            range(n),
            lambda i: client.start_workflow(
                BaselineWaiter.run, i, id=f"raw-add-{i}", task_queue=raw_queue
            ),
            50,
        )
        raw = time.monotonic() - t2
        cpu["raw"] = used.per(n)
    return {
        "one_by_one_s": round(one_by_one, 3),
        "batch_s": round(batch, 3),
        "raw_starts_s": round(raw, 3),
        "batch_speedup": round(one_by_one / batch, 2),
        "batch_vs_raw": round(batch / raw, 2),
        "one_by_one_per_s": round(n / one_by_one, 1),
        "batch_per_s": round(n / batch, 1),
        "batch_refused": refused,
        "summary_queries_timed_out": slow,
        # CPU per candidate (ms; this process holds the driver and the worker). On a machine of
        # C cores nothing can add faster than C / total CPU per candidate.
        "cpu_ms_per_candidate": cpu,
        "cpu_bound_per_s": {
            k: round((os.cpu_count() or 1) * 1000 / v["total"], 1)
            for k, v in cpu.items()
            if v["total"] > 0
        },
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=5_000)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        settings = Settings(
            task_queue="bench-role-add",
            worker_deployment_name="bench-role-add",
            outbox_dir=Path(tmp) / "outbox",
            ledger_path=Path(tmp) / "ledger.sqlite3",
            encryption_keys=SecretStr(f"bench:{key}"),
        )
        port = _free_port()
        env = await WorkflowEnvironment.start_local(
            port=port,
            search_attributes=search.ALL,
            dev_server_existing_path=str(bin_dir / "temporal"),
            ui=False,
            data_converter=data_converter(settings),
            dev_server_extra_args=["--db-filename", str(Path(tmp) / "temporal.db"), *PRAGMAS],
        )
        try:
            figures = await measure(env.client, settings, args.candidates, server_pid(port))
        finally:
            await env.shutdown()
    result = {
        "candidates": args.candidates,
        **figures,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(json.dumps(result, indent=2))
    if args.record:
        with args.record.open("a") as fh:
            fh.write(
                f"| {result['date']} | {args.candidates} | {result['one_by_one_s']} s "
                f"| {result['batch_s']} s | {result['raw_starts_s']} s "
                f"| {result['batch_speedup']}x | {result['batch_vs_raw']} | {result['machine']} |\n"
            )
    return 0


if __name__ == "__main__":
    run_and_exit(main)
