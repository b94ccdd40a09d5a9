"""The `Erasure` workflow: a finished candidacy's personal data is erased after its retention.

Started by the Candidacy itself as it completes (an abandoned child, id `erase-{candidacy id}`),
so the erasure is as durable as the candidacy was: it waits out `policy.retention` (default 180
days) on a timer, then deletes the outbox copies of the candidacy's messages and its ledger rows.
Temporal's own copy of the history (encrypted payloads) goes with the namespace's retention.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows import contract
    from workflows.models import ErasureRequest, ErasureResult


@workflow.defn(name=contract.ERASURE_WORKFLOW)
class Erasure:
    @workflow.run
    async def run(self, req: ErasureRequest) -> ErasureResult:
        await workflow.sleep(req.after, summary="retention period")
        result: ErasureResult = await workflow.execute_activity(
            contract.ACTIVITY_ERASE,
            req,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=0),
            result_type=ErasureResult,
            summary="erase the candidacy's stored messages",
        )
        return result
