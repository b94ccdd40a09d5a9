"""Activities that reach other workflows through the Temporal client: the Role's reach to its
candidacies.

Candidacies are not the Role's children: a role can have thousands open at once, more than the
2,000 pending children Temporal allows a workflow. The Role starts them and sends them role-wide
commands from here instead, a bounded number at a time.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from heardback.runtime.temporal import start_candidacy
from heardback.workflows import contract
from heardback.workflows.models import (
    CommandOutcome,
    FanOutRequest,
    FanOutResult,
    RoleCommand,
    StartCandidacyRequest,
    UpdateResult,
)

log = structlog.get_logger("heardback.roles")

# How many updates one fan-out activity keeps in flight: well under Temporal's per-workflow
# limits and gentle on a small cluster.
CONCURRENCY = 50


class RoleActivities:
    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name=contract.ACTIVITY_START_CANDIDACY)
    async def start_candidacy(self, req: StartCandidacyRequest) -> str:
        inp = req.input
        workflow_id = contract.candidacy_workflow_id(inp.role.id, inp.candidate.id)
        # Already finished before: adding again is the same candidacy, not a new one.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await start_candidacy(self._client, inp, task_queue=req.task_queue)
        log.info("candidacy_started", workflow_id=workflow_id)
        return workflow_id

    @activity.defn(name=contract.ACTIVITY_SEND_TO_CANDIDACIES)
    async def send_to_candidacies(self, req: FanOutRequest) -> FanOutResult:
        gate = asyncio.Semaphore(CONCURRENCY)
        done = 0

        async def one(cmd: RoleCommand) -> CommandOutcome:
            nonlocal done
            async with gate:
                outcome = await self._send(req, cmd)
            done += 1
            if done % 25 == 0:
                activity.heartbeat(done)
            return outcome

        outcomes = await asyncio.gather(*(one(c) for c in req.commands))
        log.info(
            "fan_out_batch_done",
            role_id=req.role_id,
            commands=len(outcomes),
            applied=sum(o.applied for o in outcomes),
        )
        return FanOutResult(outcomes=list(outcomes))

    async def _send(self, req: FanOutRequest, cmd: RoleCommand) -> CommandOutcome:
        handle = self._client.get_workflow_handle(
            contract.candidacy_workflow_id(req.role_id, cmd.candidate_id)
        )
        try:
            result: UpdateResult = await handle.execute_update(
                cmd.update,
                cmd.command,
                id=f"{req.update_id_prefix}-{cmd.candidate_id}",
                result_type=UpdateResult,
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
            return CommandOutcome(candidate_id=cmd.candidate_id, applied=False, refused=reason)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND or "already completed" in err.message:
                # Finished (or never started): it has had its final message already.
                return CommandOutcome(
                    candidate_id=cmd.candidate_id,
                    applied=False,
                    state="completed",
                    stage="",
                    refused="the candidacy has finished",
                )
            raise
        return CommandOutcome(
            candidate_id=cmd.candidate_id,
            applied=result.applied,
            state=result.state,
            stage=result.stage,
        )
