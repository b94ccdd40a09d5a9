"""Driving a Role from Python: thin, typed helpers over the public contract."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from workflows import contract, search
from workflows.models import (
    AddCandidate,
    AdvanceCohort,
    CloseRole,
    CohortResult,
    PauseRole,
    ResumeRole,
    RoleCommandResult,
    RoleInput,
    RoleSummary,
)


async def start_role(
    client: Client, inp: RoleInput, *, task_queue: str = contract.TASK_QUEUE
) -> WorkflowHandle[Any, Any]:
    """Start (or find) the role's workflow; idempotent like `start_candidacy`."""
    return await client.start_workflow(
        contract.ROLE_WORKFLOW,
        inp,
        id=contract.role_workflow_id(inp.role.id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes([SearchAttributePair(search.ROLE_ID, inp.role.id)]),
        static_summary=f"Role {inp.role.id}: {len(inp.stages)} stages",
    )


# Answers a busy server gives that a retry fixes: too many updates in flight on the role (10 by
# default), a role whose workflow task timed out under load, a deadline.
RETRYABLE = {
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.FAILED_PRECONDITION,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.UNAVAILABLE,
}


async def add_candidate(
    role: WorkflowHandle[Any, Any], cmd: AddCandidate, *, attempts: int = 20
) -> str:
    """Start the candidate's candidacy under this role; returns its workflow id.

    Adding is idempotent, so transient refusals from a busy server are retried with backoff."""
    delay = 0.2
    for attempt in range(attempts):
        try:
            workflow_id: str = await role.execute_update(
                contract.UPDATE_ADD_CANDIDATE, cmd, result_type=str
            )
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
            retryable = not isinstance(err, RPCError) or err.status in RETRYABLE
            if not retryable or attempt == attempts - 1:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            return workflow_id
    raise AssertionError("unreachable")


async def advance_cohort(role: WorkflowHandle[Any, Any], cmd: AdvanceCohort) -> CohortResult:
    result: CohortResult = await role.execute_update(
        contract.UPDATE_ADVANCE_COHORT, cmd, result_type=CohortResult
    )
    return result


async def pause(role: WorkflowHandle[Any, Any], cmd: PauseRole) -> RoleCommandResult:
    result: RoleCommandResult = await role.execute_update(
        contract.UPDATE_PAUSE, cmd, result_type=RoleCommandResult
    )
    return result


async def resume(role: WorkflowHandle[Any, Any]) -> RoleCommandResult:
    result: RoleCommandResult = await role.execute_update(
        contract.UPDATE_RESUME, ResumeRole(), result_type=RoleCommandResult
    )
    return result


async def close(role: WorkflowHandle[Any, Any], cmd: CloseRole) -> RoleCommandResult:
    result: RoleCommandResult = await role.execute_update(
        contract.UPDATE_CLOSE, cmd, result_type=RoleCommandResult
    )
    return result


async def summary(role: WorkflowHandle[Any, Any]) -> RoleSummary:
    result: RoleSummary = await role.query(contract.QUERY_SUMMARY, result_type=RoleSummary)
    return result
