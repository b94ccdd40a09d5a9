"""The `RetentionSweep` workflow: one pass of the retention sweep (see activities.retention).

Started by the `heardback-retention` schedule (hourly by default; the worker creates it), or by
hand: `temporal schedule trigger --schedule-id heardback-retention`.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, VersioningBehavior

with workflow.unsafe.imports_passed_through():
    from heardback.workflows import contract
    from heardback.workflows.models import EraseRequest, EraseResult, SweepRequest, SweepResult

# Enough passes for a large backlog; a bigger one waits for the next run of the schedule.
MAX_PASSES = 20


# PINNED: one sweep lasts minutes and starts afresh every hour; it finishes on the build that
# started it, so a change to it never needs a patch.
@workflow.defn(
    name=contract.RETENTION_SWEEP_WORKFLOW, versioning_behavior=VersioningBehavior.PINNED
)
class RetentionSweep:
    @workflow.run
    async def run(self) -> SweepResult:
        total = SweepResult()
        for _ in range(MAX_PASSES):
            one: SweepResult = await workflow.execute_activity(
                contract.ACTIVITY_SWEEP_RETENTION,
                SweepRequest(now=workflow.now()),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
                result_type=SweepResult,
                summary="erase finished candidacies past their retention",
            )
            total.candidacies += one.candidacies
            total.files += one.files
            total.ledger_rows += one.ledger_rows
            total.data_keys += one.data_keys
            total.still_running += one.still_running
            if not one.more or one.candidacies == 0:
                break
        return total


# PINNED, like the sweep: a few seconds of work that finishes on the build that started it.
@workflow.defn(name=contract.ERASE_WORKFLOW, versioning_behavior=VersioningBehavior.PINNED)
class EraseCandidacy:
    """Erase one finished candidacy on request: its data keys (its payloads become unreadable
    everywhere), its outbox copies, its ledger rows and its workflow execution (history and
    visibility) in Temporal. Started by `HeardbackClient.erase` once the candidacy has ended."""

    @workflow.run
    async def run(self, req: EraseRequest) -> EraseResult:
        result: EraseResult = await workflow.execute_activity(
            contract.ACTIVITY_ERASE_CANDIDACY,
            req,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            result_type=EraseResult,
            summary="erase a candidacy's messages, ledger rows and history",
        )
        return result
