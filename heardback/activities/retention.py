"""Retention: erase what heardback keeps of finished candidacies once their time has come.

Erasure destroys the candidacy's data keys first (see heardback.runtime.datakeys): every payload
of it becomes unreadable, in the histories Temporal keeps and in any copy of them; then its
outbox copies, ledger rows and workflow execution are deleted.

Each delivery's ledger row carries `erase_after` (when the message was queued +
`policy.retention`). The `RetentionSweep` workflow, started by the `heardback-retention` schedule,
runs this activity: every candidacy whose latest row is past its time and whose workflow has
finished loses its outbox copies and its ledger rows. A candidacy still running is left alone (a
running candidacy keeps writing rows, so its time moves on); the next sweep looks again.
"""

from __future__ import annotations

import asyncio

import structlog
from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from heardback.activities.ledger import Ledger
from heardback.activities.transport import Transport
from heardback.runtime.datakeys import DataKeys
from heardback.runtime.temporal import execution_status
from heardback.workflows.contract import ACTIVITY_ERASE_CANDIDACY, ACTIVITY_SWEEP_RETENTION
from heardback.workflows.models import EraseRequest, EraseResult, SweepRequest, SweepResult

log = structlog.get_logger("heardback.retention")


class RetentionActivities:
    def __init__(
        self,
        client: Client,
        *,
        ledger: Ledger,
        transport: Transport,
        data_keys: DataKeys | None = None,
    ) -> None:
        self._client = client
        self._ledger = ledger
        self._transport = transport
        self._data_keys = data_keys  # None: encryption off, nothing to destroy

    async def _shred(self, workflow_id: str) -> int:
        """Destroy the candidacy's data keys: its payloads, wherever a copy of a history is
        kept (the Role's too), can never be read again."""
        if self._data_keys is None:
            return 0
        return await asyncio.to_thread(self._data_keys.destroy, workflow_id)

    async def _running(self, workflow_id: str) -> bool:
        try:
            status = await execution_status(self._client, workflow_id)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False  # finished long ago (past the namespace's retention)
            raise
        return status == WorkflowExecutionStatus.RUNNING.value

    async def _delete_history(self, workflow_id: str) -> bool:
        """Delete a closed workflow execution (its history and visibility) from Temporal: what
        it kept is then gone, not only unlisted. False when it was already gone."""
        try:
            await self._client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=self._client.namespace,
                    workflow_execution=WorkflowExecution(workflow_id=workflow_id),
                )
            )
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            if err.status == RPCStatusCode.UNIMPLEMENTED:
                # A server without deletion (Temporal's time-skipping test server): what it keeps
                # goes with the namespace's retention.
                log.warning("history_delete_unsupported", workflow_id=workflow_id)
                return False
            raise
        return True

    @activity.defn(name=ACTIVITY_ERASE_CANDIDACY)
    async def erase_candidacy(self, req: EraseRequest) -> EraseResult:
        """Erase one candidacy on request; retried (by the activity's retry policy) while its
        workflow is still finishing."""
        if await self._running(req.workflow_id):
            raise ApplicationError("the candidacy is still running; retrying", type="StillRunning")
        result = EraseResult(
            workflow_id=req.workflow_id,
            data_keys=await self._shred(req.workflow_id),
            files=await self._transport.erase(req.workflow_id),
            ledger_rows=await self._ledger.forget(req.workflow_id),
            history_deleted=await self._delete_history(req.workflow_id),
        )
        log.info("candidacy_erased_on_request", workflow_id=req.workflow_id)
        return result

    @activity.defn(name=ACTIVITY_SWEEP_RETENTION)
    async def sweep_retention(self, req: SweepRequest) -> SweepResult:
        due = await self._ledger.due_for_erasure(req.now, req.limit)
        result = SweepResult(more=len(due) >= req.limit)
        for n, workflow_id in enumerate(due):
            if await self._running(workflow_id):
                result.still_running += 1
                continue
            result.data_keys += await self._shred(workflow_id)
            result.files += await self._transport.erase(workflow_id)
            result.ledger_rows += await self._ledger.forget(workflow_id)
            await self._delete_history(workflow_id)
            result.candidacies += 1
            log.info("personal_data_erased", workflow_id=workflow_id)
            if n % 50 == 0:
                activity.heartbeat(n)
        log.info(
            "retention_sweep_done",
            erased=result.candidacies,
            still_running=result.still_running,
            more=result.more,
        )
        return result
