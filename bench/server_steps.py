"""What each step of a lifecycle asks of the Temporal server, heardback beside raw Temporal.

    python -m bench.server_steps [--candidacies 20]

`bench.lifecycle` measures the dev server's CPU and its persistence requests per lifecycle;
this says which step they come from. On one dev server (SQLite file, WAL) with heardback's
worker (encryption off) and the raw baseline's, it takes N lifecycles of each through the same
steps in lockstep (start, interview, advance, interview, reject, completion), lets the server
settle after each step, and reads the server's own counters (its Prometheus endpoint): execution
store requests by operation, visibility writes, time in persistence. Prints a JSON table of the
requests per lifecycle per step. A probe for the notes, not a throughput figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bench.lifecycle import (
    WATCHED,
    Arrivals,
    _free_port,
    candidacy,
    dev_server,
    interview,
    per_lifecycle,
    server_counters,
    spawn,
    until,
)
from bench.lifecycle_baseline import TASK_QUEUE as BASELINE_QUEUE
from heardback.activities.mime import message_id_digest as wire
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.workflows import contract
from heardback.workflows.models import Decide

QUEUE = "bench-steps-heardback"
SETTLE_S = 1.5


async def probe(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="heardback-steps-"))
    port, metrics_port, smtp_port = _free_port(), _free_port(), _free_port()
    env = await dev_server(tmp, port, ["journal_mode=wal", "synchronous=normal"], metrics_port)
    arrivals = Arrivals()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    address = f"127.0.0.1:{port}"
    worker = spawn(
        "heardback.worker",
        {
            "HEARDBACK_TEMPORAL_ADDRESS": address,
            "HEARDBACK_TASK_QUEUE": QUEUE,
            "HEARDBACK_MAIL_TRANSPORT": "smtp",
            "HEARDBACK_SMTP_HOST": "127.0.0.1",
            "HEARDBACK_SMTP_PORT": str(smtp_port),
            "HEARDBACK_LEDGER_PATH": str(tmp / "ledger.sqlite3"),
            "HEARDBACK_LOG_LEVEL": "WARNING",
            "HEARDBACK_ENCRYPTION": "off",
            "HEARDBACK_WORKER_DEPLOYMENT_NAME": f"bench-{QUEUE}",
        },
        tmp / "worker.log",
    )
    baseline = spawn(
        "bench.lifecycle_baseline", {"BENCH_TEMPORAL_ADDRESS": address}, tmp / "baseline.log"
    )
    WATCHED[:] = [worker, baseline]
    client = env.client
    hb = HeardbackClient(client, task_queue=QUEUE)
    n = args.candidacies
    run = uuid.uuid4().hex[:6]
    table: dict[str, dict[str, Any]] = {}
    try:
        await asyncio.sleep(3.0)
        # one uncounted lifecycle of each first: code loaded, task queues created
        for warm_run in (f"{run}w",):
            await lifecycle_steps(hb, client, warm_run, range(2), arrivals=arrivals, measured=None)

        async def measured(step: str, side: str, act: Callable[[], Awaitable[None]]) -> None:
            before = await server_counters(metrics_port)
            await act()
            await asyncio.sleep(SETTLE_S)
            delta = await server_counters(metrics_port)
            delta.subtract(before)
            table.setdefault(step, {})[side] = per_lifecycle(delta, n)

        await lifecycle_steps(hb, client, run, range(n), arrivals=arrivals, measured=measured)
    finally:
        for proc in WATCHED:
            proc.terminate()
        smtp.stop()
        await env.shutdown()
    return {"candidacies": n, "steps": table}


async def lifecycle_steps(
    hb: HeardbackClient,
    client: Any,
    run: str,
    ids: range,
    *,
    arrivals: Arrivals,
    measured: Callable[[str, str, Callable[[], Awaitable[None]]], Awaitable[None]] | None,
) -> None:
    """Both sides through the lifecycle in lockstep, step by step."""
    role = f"bench-{run}"

    def handles(i: int) -> Any:
        return client.get_workflow_handle(f"baseline-{run}-{i}")

    async def each(fn: Callable[[int], Awaitable[Any]]) -> None:
        await asyncio.gather(*(fn(i) for i in ids))

    def mails(kind: str) -> Callable[[], bool]:
        wanted = [wire(f"{contract.candidacy_workflow_id(role, f'c-{i}')}.{kind}") for i in ids]
        return lambda: all(m in arrivals.at for m in wanted)

    hb_steps: list[tuple[str, Callable[[int], Awaitable[Any]], Callable[[], bool] | None]] = [
        ("start", lambda i: hb.start_candidacy(candidacy(run, i)), mails("000.acknowledgement")),
        ("interview 1", lambda i: hb.record_interview(role, f"c-{i}", interview(1)), None),
        (
            "advance",
            lambda i: hb.decide(role, f"c-{i}", Decide(outcome="advance", next_stage="onsite")),
            mails("001.stage_result"),
        ),
        ("interview 2", lambda i: hb.record_interview(role, f"c-{i}", interview(2)), None),
        (
            "reject",
            lambda i: hb.decide(
                role, f"c-{i}", Decide(outcome="reject", feedback=["We chose deeper Go."])
            ),
            mails("002.rejection"),
        ),
        (
            "completion",
            lambda i: hb.temporal.get_workflow_handle(
                contract.candidacy_workflow_id(role, f"c-{i}")
            ).result(),
            None,
        ),
    ]
    base_steps: list[Callable[[int], Awaitable[Any]]] = [
        lambda i: client.start_workflow(
            "BaselineLifecycle", i, id=f"baseline-{run}-{i}", task_queue=BASELINE_QUEUE
        ),
        lambda i: handles(i).signal("interview_completed", {"n": 1}),
        lambda i: handles(i).execute_update("decide", {"outcome": "advance"}),
        lambda i: handles(i).signal("interview_completed", {"n": 2}),
        lambda i: handles(i).execute_update("decide", {"outcome": "reject"}),
        lambda i: handles(i).result(),
    ]
    for (step, hb_fn, delivered), base_fn in zip(hb_steps, base_steps, strict=True):

        async def hb_act(fn: Callable[[int], Awaitable[Any]] = hb_fn, d: Any = delivered) -> None:
            await each(fn)
            if d is not None:
                await until(d, timeout=120)

        async def base_act(fn: Callable[[int], Awaitable[Any]] = base_fn) -> None:
            await each(fn)

        if measured is None:
            await hb_act()
            await base_act()
            await asyncio.sleep(0.5)
        else:
            await measured(step, "heardback", hb_act)
            await measured(step, "baseline", base_act)


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """Per step: store requests and visibility writes per lifecycle, each side."""
    out: dict[str, Any] = {}
    totals: dict[str, Counter[str]] = {"heardback": Counter(), "baseline": Counter()}
    for step, sides in result["steps"].items():
        out[step] = {}
        for side, fig in sides.items():
            out[step][side] = {
                "store": fig["store_requests"],
                "visibility": fig["visibility_writes"],
                "store_ms": fig["store_ms"],
                "by_operation": fig["store_requests_by_operation"],
            }
            totals[side].update(fig["store_requests_by_operation"])
    out["all steps"] = {
        side: {k: round(v, 2) for k, v in c.most_common()} for side, c in totals.items()
    }
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidacies", type=int, default=20)
    args = parser.parse_args()
    t0 = time.monotonic()
    result = await probe(args)
    result["summary"] = summarise(result)
    result["seconds"] = round(time.monotonic() - t0, 1)
    sys.stdout.write(json.dumps(result["summary"], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    run_and_exit(main)
