"""Benchmark: one worker process, then two, on the PostgreSQL ledger against one dev server.

    python -m bench.two_workers [--candidacies 400] [--record docs/PERFORMANCE.md]

Starts the Temporal dev server (SQLite file persistence), a throwaway PostgreSQL cluster (the
shared delivery ledger several workers need) and aiosmtpd on loopback. Then, for 1 and for 2
`heardback.worker` processes (each its own task queue, so the runs do not mix), runs the standard
lifecycle (bench.lifecycle: start, two interviews with feedback, an advance, a rejection with
reasons; three messages over SMTP) N times, 50 at a time, until every rejection has arrived.
Reports, per configuration: throughput, the CPU seconds of the worker processes, the dev server
and the driver per lifecycle, and duplicates (a Message-ID the SMTP server received more than
once). A benchmark, not a test: JSON on stdout; --record appends a row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from temporalio.testing import WorkflowEnvironment

from bench.concurrency import bounded
from bench.lifecycle import (
    CONCURRENCY,
    WATCHED,
    Arrivals,
    _free_port,
    cpu_s,
    dev_server,
    heardback_lifecycle,
    server_pid,
    spawn,
    until,
)
from bench.postgres import throwaway_postgres
from heardback.activities.mime import message_id_digest as wire
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient


async def one_config(
    env: WorkflowEnvironment, *, address: str, dsn: str, smtp_port: int, arrivals: Arrivals,
    workers: int, n: int, tmp: Path,
) -> dict[str, Any]:  # fmt: skip
    queue = f"bench-two-workers-{workers}-{uuid.uuid4().hex[:6]}"
    procs = [
        spawn(
            "heardback.worker",
            {
                "HEARDBACK_TEMPORAL_ADDRESS": address,
                "HEARDBACK_TASK_QUEUE": queue,
                "HEARDBACK_WORKER_DEPLOYMENT_NAME": queue,
                "HEARDBACK_MAIL_TRANSPORT": "smtp",
                "HEARDBACK_SMTP_HOST": "127.0.0.1",
                "HEARDBACK_SMTP_PORT": str(smtp_port),
                "HEARDBACK_LEDGER": "postgres",
                "HEARDBACK_LEDGER_DSN": dsn,
                "HEARDBACK_ENCRYPTION": "off",
                "HEARDBACK_RETENTION_SCHEDULE": "false",
                "HEARDBACK_LOG_LEVEL": "WARNING",
                "HEARDBACK_LOG_FORMAT": "json",
            },
            tmp / f"worker-{workers}-{k}.log",
        )
        for k in range(workers)
    ]
    WATCHED[:] = procs
    try:
        await asyncio.sleep(3.0)  # every worker polling, its build current
        hb = HeardbackClient(env.client, task_queue=queue)
        run = uuid.uuid4().hex[:6]
        server = server_pid(int(address.rsplit(":", 1)[1])) or os.getpid()
        before = (time.monotonic(), sum(cpu_s(p.pid) for p in procs), cpu_s(server))
        before_driver = cpu_s(os.getpid())
        rejections: list[str] = []

        async def one(i: int) -> None:
            mid, _ = await heardback_lifecycle(hb, run, i)
            rejections.append(wire(mid))

        await bounded(range(n), one, CONCURRENCY)
        await until(lambda: all(m in arrivals.at for m in rejections), timeout=900)
        wall = time.monotonic() - before[0]
        worker_cpu = sum(cpu_s(p.pid) for p in procs) - before[1]
        server_cpu = cpu_s(server) - before[2]
        driver_cpu = cpu_s(os.getpid()) - before_driver
        return {
            "workers": workers,
            "lifecycles": n,
            "wall_s": round(wall, 2),
            "lifecycles_per_s": round(n / wall, 2),
            "worker_cpu_ms_per_lifecycle": round(worker_cpu / n * 1000, 1),
            "server_cpu_ms_per_lifecycle": round(server_cpu / n * 1000, 1),
            "driver_cpu_ms_per_lifecycle": round(driver_cpu / n * 1000, 1),
        }
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        WATCHED[:] = []


async def run_bench(n: int, runs: int = 3) -> dict[str, Any]:
    """`runs` pairs of one worker and two on the same server, the order alternating (1 then 2,
    2 then 1, ...) so neither always gets the warmer database; each figure is the median of
    the runs, and each run's ratio is reported beside it."""
    tmp = Path(tempfile.mkdtemp(prefix="heardback-two-workers-"))
    port = _free_port()
    env = await dev_server(tmp, port, ["journal_mode=wal", "synchronous=normal"])
    arrivals = Arrivals()
    smtp_port = _free_port()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    configs: list[dict[str, Any]] = []
    try:
        with throwaway_postgres() as dsn:
            address = f"127.0.0.1:{port}"
            for run in range(runs):
                for workers in (1, 2) if run % 2 == 0 else (2, 1):
                    sent_before = sum(arrivals.count.values())
                    unique_before = len(arrivals.count)
                    row = await one_config(
                        env, address=address, dsn=dsn, smtp_port=smtp_port, arrivals=arrivals,
                        workers=workers, n=n, tmp=tmp,
                    )  # fmt: skip
                    received = sum(arrivals.count.values()) - sent_before
                    row["run"] = run + 1
                    row["messages_received"] = received
                    row["duplicates"] = received - (len(arrivals.count) - unique_before)
                    configs.append(row)
    finally:
        smtp.stop()
        await env.shutdown()
    configs.sort(key=lambda c: (c["workers"], c["run"]))
    ratios = []
    for run in range(1, runs + 1):
        one, two = (
            next(c for c in configs if c["run"] == run and c["workers"] == w) for w in (1, 2)
        )
        ratios.append(round(two["lifecycles_per_s"] / one["lifecycles_per_s"], 2))
    return {
        "configs": configs,
        "median": {w: _median_of([c for c in configs if c["workers"] == w]) for w in (1, 2)},
        "two_vs_one_throughput": statistics.median(ratios),
        "two_vs_one_each_run": ratios,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).date().isoformat(),
    }


def _median_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("lifecycles_per_s", "worker_cpu_ms_per_lifecycle", "server_cpu_ms_per_lifecycle",
            "driver_cpu_ms_per_lifecycle")  # fmt: skip
    return {
        "lifecycles": rows[0]["lifecycles"],
        "runs": len(rows),
        **{k: round(statistics.median(r[k] for r in rows), 2) for k in keys},
        "duplicates": sum(r["duplicates"] for r in rows),
    }


def record(path: Path, result: dict[str, Any]) -> None:
    one, two = result["median"][1], result["median"][2]
    each = ", ".join(f"{r}x" for r in result["two_vs_one_each_run"])
    row = (
        f"| {result['date']} | {one['lifecycles']} x {one['runs']} | {one['lifecycles_per_s']} | "
        f"{two['lifecycles_per_s']} | {result['two_vs_one_throughput']}x ({each}) | "
        f"{one['worker_cpu_ms_per_lifecycle']} / {two['worker_cpu_ms_per_lifecycle']} | "
        f"{one['server_cpu_ms_per_lifecycle']} / {two['server_cpu_ms_per_lifecycle']} | "
        f"{one['duplicates']} / {two['duplicates']} | {result['machine']} |\n"
    )
    with path.open("a") as fh:
        fh.write(row)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidacies", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3, help="pairs, the order alternating")
    parser.add_argument("--record", type=Path, help="append a markdown row to this file")
    args = parser.parse_args()
    result = await run_bench(args.candidacies, args.runs)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    if args.record:
        record(args.record, result)
    return 0 if all(c["duplicates"] == 0 for c in result["configs"]) else 1


if __name__ == "__main__":
    run_and_exit(main)
