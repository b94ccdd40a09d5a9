"""Raw Temporal with the shape of a standard candidacy lifecycle, for comparison.

Per lifecycle, like heardback's: one start, two signals, two updates, three activities (the
acknowledgement, the stage result, the rejection), and a timer always pending (the silence
deadline). The activity does nothing: whatever heardback costs beyond this is its own.

`python -m bench.lifecycle_baseline` runs a worker for it (a separate process, like heardback's).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

TASK_QUEUE = "bench-lifecycle-baseline"


@activity.defn(name="baseline_send")
async def baseline_send(what: str) -> str:
    return what


@workflow.defn(name="BaselineLifecycle")
class BaselineLifecycle:
    def __init__(self) -> None:
        self._interviews = 0
        self._decisions: list[str] = []
        self._sent = 0

    @workflow.run
    async def run(self, n: int) -> int:
        await self._send("acknowledgement")
        while self._sent < 3:
            # Like a candidacy: always a deadline pending while it waits.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: len(self._decisions) >= self._sent, timeout=timedelta(days=7)
                )
            while self._sent - 1 < len(self._decisions):
                await self._send(self._decisions[self._sent - 1])
        return n

    async def _send(self, what: str) -> None:
        await workflow.execute_activity(
            baseline_send, what, start_to_close_timeout=timedelta(seconds=30)
        )
        self._sent += 1

    @workflow.signal(name="interview_completed")
    def interview_completed(self, payload: dict[str, Any]) -> None:
        self._interviews += 1

    @workflow.update(name="decide")
    def decide(self, payload: dict[str, Any]) -> str:
        outcome = str(payload.get("outcome", ""))
        self._decisions.append(outcome)
        return outcome

    @decide.validator
    def _validate(self, payload: dict[str, Any]) -> None:
        if payload.get("outcome") not in ("advance", "reject"):
            raise ValueError("bad outcome")


async def main() -> None:
    # The same converter as heardback's processes (plain pydantic JSON), for a fair comparison.
    # (Imported here: the workflow sandbox re-imports this module and must not load it.)
    from heardback.runtime.converter import DATA_CONVERTER  # noqa: PLC0415

    client = await Client.connect(
        os.environ["BENCH_TEMPORAL_ADDRESS"], data_converter=DATA_CONVERTER
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[BaselineLifecycle],
        activities=[baseline_send],
    ):
        await stop.wait()


if __name__ == "__main__":
    from heardback.runtime.temporal import run_and_exit

    async def _main() -> int:
        await main()
        return 0

    run_and_exit(_main)
