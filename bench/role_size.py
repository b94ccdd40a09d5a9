"""Benchmark: does a Role stay responsive as it grows? Workflow-task time and `summary` latency
at N open candidacies.

    python -m bench.role_size [--candidates 10000] [--signals 2000] [--record docs/PERFORMANCE.md]

Starts the Temporal dev server (SQLite file persistence) and an in-process worker, then starts a
Role that already carries N open candidacies (as a Role that continued as new with N open would),
so the size is reached in seconds rather than the hours that adding N one by one takes. Then:

1. `--signals` `candidacy_changed` reports arrive (half from known candidacies moving stage,
   half from candidacies the role has not seen yet), at full speed;
2. the role is closed: a fan-out to all N (their workflows do not exist here, so each update is
   answered "not found" by the server at once: the Role's own work is what is measured), while
   `summary` is queried every 0.2 s.

It reports, from the Role's histories (every run), each workflow task's duration (started ->
completed), the largest and the 95th percentile, and the `summary` latencies during the close
(largest, 95th percentile, and how many exceeded one second or timed out: a slow query is
reported, never fatal). A benchmark, not a test: JSON on stdout; --record appends a row.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench.concurrency import bounded
from heardback.runtime.converter import DATA_CONVERTER
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_worker, running
from heardback.workflows import search
from heardback.workflows.errors import Unavailable
from heardback.workflows.models import Candidate

ROLE = "size"


# The dev server as the default install runs it (`make run`: its SQLite pragmas).
PRAGMAS = [
    arg
    for pragma in Settings.model_fields["dev_sqlite_pragmas"].default.split(",")
    if pragma.strip()
    for arg in ("--sqlite-pragma", pragma.strip())
]


def carried(n: int) -> dict[str, Any]:
    return {
        "role": {
            "id": ROLE,
            "title": "Engineer",
            "company": "Bench Co",
            "contact_email": "jobs@bench.example",
        },
        "stages": ["application", "screen", "technical", "onsite"],
        "policy": {"quiet_hours": None},
        "carried_state": {
            "role": {
                "id": ROLE,
                "title": "Engineer",
                "company": "Bench Co",
                "contact_email": "jobs@bench.example",
            },
            "stages": ["application", "screen", "technical", "onsite"],
            "policy": {"quiet_hours": None},
            "candidacies": {
                f"c-{i}": {"state": "active", "stage": "application"} for i in range(n)
            },
        },
    }


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


SLOWEST: list[dict[str, Any]] = []  # the three slowest workflow tasks of the Role, and where
TIMEOUTS: list[dict[str, Any]] = []  # workflow tasks that timed out: when, which queue


async def task_durations(
    client: Client, workflow_id: str, save_to: Path | None = None
) -> tuple[list[float], int]:
    """Every workflow task's started -> completed time, over every run of the workflow; a task
    that timed out before its start was recorded (a sticky task nobody took) is counted in
    TIMEOUTS instead."""
    durations: list[float] = []
    TIMEOUTS.clear()
    events = 0
    run_id: str | None = None
    seen: set[str] = set()
    handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id)
    # Walk the chain of runs from the first: list them through visibility.
    runs = [
        e.run_id
        async for e in client.list_workflows(f"WorkflowId = '{workflow_id}'")
        if e.run_id is not None
    ]
    for run_id in runs:
        if run_id in seen:
            continue
        seen.add(run_id)
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        if save_to is not None:  # for a profile of the Role's code: replay these offline
            (save_to / f"{workflow_id}.{len(seen)}.json").write_text(history.to_json())
        events += len(history.events)
        started: datetime | None = None
        scheduled: dict[int, Any] = {}
        for ev in history.events:
            if ev.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled[ev.event_id] = ev
            if ev.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                attrs = ev.workflow_task_timed_out_event_attributes
                sched = scheduled.get(attrs.scheduled_event_id)
                queue = sched.workflow_task_scheduled_event_attributes.task_queue if sched else None
                TIMEOUTS.append(
                    {
                        "scheduled_at": sched.event_time.ToDatetime().isoformat()
                        if sched
                        else None,
                        "timed_out_at": ev.event_time.ToDatetime().isoformat(),
                        "timeout_type": attrs.timeout_type,
                        "queue_kind": queue.kind if queue else None,
                    }
                )
            if ev.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                started = ev.event_time.ToDatetime()
            elif (
                ev.event_type
                in (
                    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
                    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
                    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
                )
                and started is not None
            ):
                took = (ev.event_time.ToDatetime() - started).total_seconds()
                durations.append(took)
                # what the slow ones were: the run, the event, the events the task answered
                SLOWEST.append(
                    {
                        "s": round(took, 3),
                        "run": len(seen),
                        "completed_event_id": ev.event_id,
                        "after": sorted(
                            {
                                EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
                                for e in history.events[max(0, ev.event_id - 12) : ev.event_id - 2]
                            }
                        ),
                    }
                )
                SLOWEST.sort(key=lambda t: -t["s"])
                del SLOWEST[3:]
                started = None
    del handle
    return durations, events


async def measure(  # noqa: PLR0915 - one measured sequence, kept in one place
    client: Client, n: int, signals: int, adds: int, tmp: Path, *, save_to: Path | None = None
) -> dict[str, Any]:
    settings = Settings(
        task_queue="bench-role-size",
        worker_deployment_name="bench-role-size",
        outbox_dir=tmp / "outbox",
        ledger_path=tmp / "ledger.sqlite3",
        encryption="off",
    )
    async with running(build_worker(client, settings), client, settings):
        t0 = time.monotonic()
        role = await client.start_workflow(
            "Role", carried(n), id=f"role-{ROLE}", task_queue=settings.task_queue
        )
        await role.query("summary")
        started_s = time.monotonic() - t0

        # Real candidates added the documented way (each started and acknowledged).
        hb = HeardbackClient(client, task_queue=settings.task_queue)
        t_add = time.monotonic()
        await bounded(
            range(adds),
            lambda i: hb.add_candidate(
                ROLE, Candidate(id=f"a-{i}", name=f"Person {i}", email=f"p{i}@example.org")
            ),
            6,  # Temporal admits 10 in-flight updates per workflow
        )
        adds_s = time.monotonic() - t_add
        add_durations, _ = await task_durations(client, f"role-{ROLE}")

        def report(i: int) -> Any:
            known = i % 2 == 0
            cid = f"c-{i}" if known else f"c-new-{i}"
            return role.signal(
                "candidacy_changed",
                {"candidate_id": cid, "state": "active", "stage": "screen"},
            )

        t1 = time.monotonic()
        await bounded(range(signals), report, 50)
        expected = n + adds + signals // 2
        while (await role.query("summary"))["by_state"].get("active", 0) < expected:  # noqa: ASYNC110 - polling a query
            await asyncio.sleep(0.2)
        signals_s = time.monotonic() - t1

        latencies: list[float] = []
        trace: list[tuple[float, float, int | str]] = []  # (since close, latency, remaining)
        slow_or_failed: list[str] = []
        from_snapshot = 0
        lags: list[float] = []

        async def watch_loop() -> None:
            """How late the process's event loop (worker and client alike) wakes a sleeper."""
            while True:
                before = time.monotonic()
                await asyncio.sleep(0.05)
                lags.append(time.monotonic() - before - 0.05)

        watcher = asyncio.create_task(watch_loop())

        async def probe_describe() -> None:
            """DescribeWorkflowExecution beside the query: the server's answer without the
            worker (does the server hold the Role, or its worker?)."""
            while True:
                d0 = time.monotonic()
                await role.describe()
                trace.append((round(d0 - t2, 2), round(time.monotonic() - d0, 3), "describe"))
                await asyncio.sleep(0.5)

        prober = asyncio.create_task(probe_describe())
        t2 = time.monotonic()
        await role.execute_update("close", {"reason": "filled"})
        while True:
            # heardback's own `summary` (HeardbackClient.summary): the Role's query when it
            # answers in time, else the snapshot in its memo, marked so.
            q0 = time.monotonic()
            try:
                s = await asyncio.wait_for(hb.summary(ROLE), timeout=10)
            except (TimeoutError, RPCError, Unavailable) as err:
                slow_or_failed.append(type(err).__name__)
                latencies.append(time.monotonic() - q0)
                trace.append((round(q0 - t2, 2), round(latencies[-1], 3), type(err).__name__))
                continue
            latencies.append(time.monotonic() - q0)
            from_snapshot += s.snapshot
            trace.append(
                (round(q0 - t2, 2), round(latencies[-1], 3),
                 f"{s.fan_out_remaining}{' snapshot' if s.snapshot else ''}")
            )  # fmt: skip

            if s.fan_out_remaining == 0 and not s.snapshot:
                break
            await asyncio.sleep(0.2)
        close_s = time.monotonic() - t2
        watcher.cancel()
        prober.cancel()
        durations, events = await task_durations(client, f"role-{ROLE}", save_to)
    return {
        "start_with_n_s": round(started_s, 2),
        "adds": adds,
        "adds_per_s": round(adds / adds_s, 1) if adds else None,
        "task_max_during_adds_s": round(max(add_durations), 3),
        "task_p95_during_adds_s": round(p95(add_durations), 3),
        "signals_s": round(signals_s, 2),
        "close_fan_out_s": round(close_s, 2),
        "workflow_tasks": len(durations),
        "task_max_s": round(max(durations), 3),
        "task_p95_s": round(p95(durations), 3),
        "summary_queries": len(latencies),
        "summary_max_s": round(max(latencies), 3),
        "summary_p95_s": round(p95(latencies), 3),
        "summary_over_1s": sum(1 for x in latencies if x > 1.0),
        "summary_failed": len(slow_or_failed),
        "summary_from_snapshot": from_snapshot,
        "role_history_events_all_runs": events,
        "workflow_task_timeouts": len(TIMEOUTS),
        "workflow_task_timeouts_seen": list(TIMEOUTS),
        "slowest_tasks": list(SLOWEST),
        "summary_trace": trace,
        "event_loop_lag_max_s": round(max(lags), 3) if lags else None,
        "event_loop_lag_p95_s": round(p95(lags), 3) if lags else None,
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--signals", type=int, default=2_000)
    parser.add_argument("--adds", type=int, default=200, help="real add_candidate calls")
    parser.add_argument("--record", type=Path, default=None)
    parser.add_argument(
        "--core-log",
        metavar="FILTER",
        help="a diagnostic: the SDK core's log filter, to stderr (e.g. temporal_sdk_core=debug)",
    )
    parser.add_argument(
        "--save-histories", type=Path, help="write the Role's histories here (to replay them)"
    )
    args = parser.parse_args()
    if args.save_histories is not None:
        args.save_histories.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    runtime = (
        Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=args.core_log)))
        if args.core_log
        else None
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = await WorkflowEnvironment.start_local(
            search_attributes=search.ALL,
            dev_server_existing_path=str(bin_dir / "temporal"),
            ui=False,
            data_converter=DATA_CONVERTER,
            dev_server_extra_args=["--db-filename", str(Path(tmp) / "temporal.db"), *PRAGMAS],
            runtime=runtime,
        )
        try:
            figures = await measure(
                env.client,
                args.candidates,
                args.signals,
                args.adds,
                Path(tmp),
                save_to=args.save_histories,
            )
        finally:
            await env.shutdown()
    result = {
        "candidates": args.candidates,
        "signals": args.signals,
        **figures,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(json.dumps(result, indent=2))
    if args.record:
        row = (
            f"| {result['date']} | {args.candidates} | {args.signals} "
            f"| {result['task_max_s']} s | {result['task_p95_s']} s "
            f"| {result['summary_max_s']} s | {result['summary_over_1s']} "
            f"| {result['summary_failed']} | {result['close_fan_out_s']} s "
            f"| {result['machine']} |\n"
        )
        with args.record.open("a") as fh:
            fh.write(row)
    return 0


if __name__ == "__main__":
    run_and_exit(main)
