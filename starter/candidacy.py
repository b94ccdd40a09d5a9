"""Driving a candidacy from Python: thin, typed helpers over the public contract."""

from __future__ import annotations

from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from workflows import contract, search
from workflows.models import (
    CandidacyInput,
    Decide,
    InterviewCompleted,
    Status,
    SubmitFeedback,
    UpdateResult,
    Withdraw,
)


async def start_candidacy(
    client: Client,
    inp: CandidacyInput,
    *,
    task_queue: str = contract.TASK_QUEUE,
    role_workflow: bool | None = None,
) -> WorkflowHandle[Any, Any]:
    """Start (or find) the candidacy. Idempotent: a second call returns the same workflow.

    USE_EXISTING makes a start while it runs a no-op; REJECT_DUPLICATE refuses to start a finished
    candidacy again (so nobody gets a second acknowledgement).

    The input is stamped with this release (`contract.RELEASE`: no version markers in its
    history) and, when given, `role_workflow`: True when a Role workflow tracks the candidacy,
    False when there is none (the candidacy then never signals one), None when unknown (it tries
    once).
    """
    stamp: dict[str, Any] = {"release": inp.release or contract.RELEASE}
    if role_workflow is not None:
        stamp["role_workflow"] = role_workflow
    inp = inp.model_copy(update=stamp)
    return await client.start_workflow(
        contract.CANDIDACY_WORKFLOW,
        inp,
        id=contract.candidacy_workflow_id(inp.role.id, inp.candidate.id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        # Visible from the first moment (the workflow keeps them current), ids only.
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(search.ROLE_ID, inp.role.id),
                SearchAttributePair(search.STATE, "active"),
                SearchAttributePair(search.STAGE, "application"),
            ]
        ),
        static_summary=f"Candidacy {inp.candidate.id} for role {inp.role.id}",
    )


async def execution_status(client: Client, workflow_id: str) -> int:
    """The latest run's status (`WorkflowExecutionStatus` value), from the raw describe: decoding
    search attributes is not needed (and fails on an unset datetime on the time-skipping test
    server). Raises RPCError (NOT_FOUND when there is no such workflow)."""
    desc = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    return int(desc.workflow_execution_info.status)


async def interview_completed(handle: WorkflowHandle[Any, Any], ev: InterviewCompleted) -> None:
    await handle.signal(contract.SIGNAL_INTERVIEW_COMPLETED, ev)


async def submit_feedback(handle: WorkflowHandle[Any, Any], cmd: SubmitFeedback) -> UpdateResult:
    result: UpdateResult = await handle.execute_update(
        contract.UPDATE_SUBMIT_FEEDBACK, cmd, result_type=UpdateResult
    )
    return result


async def decide(handle: WorkflowHandle[Any, Any], cmd: Decide) -> UpdateResult:
    result: UpdateResult = await handle.execute_update(
        contract.UPDATE_DECIDE, cmd, result_type=UpdateResult
    )
    return result


async def withdraw(handle: WorkflowHandle[Any, Any], cmd: Withdraw) -> UpdateResult:
    result: UpdateResult = await handle.execute_update(
        contract.UPDATE_WITHDRAW, cmd, result_type=UpdateResult
    )
    return result


async def status(handle: WorkflowHandle[Any, Any]) -> Status:
    st: Status = await handle.query(contract.QUERY_STATUS, result_type=Status)
    return st
