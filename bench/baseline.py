"""Raw Temporal, for comparison: a trivial workflow that waits for one signal, runs one
activity and completes. Whatever heardback costs beyond this is heardback's own overhead."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="baseline_noop")
async def baseline_noop(n: int) -> int:
    return n


@workflow.defn(name="BaselineWaiter")
class BaselineWaiter:
    def __init__(self) -> None:
        self._go = False

    @workflow.run
    async def run(self, n: int) -> int:
        await workflow.wait_condition(lambda: self._go)
        result: int = await workflow.execute_activity(
            baseline_noop, n, start_to_close_timeout=timedelta(seconds=30)
        )
        return result

    @workflow.signal(name="go")
    def go(self) -> None:
        self._go = True
