"""Temporal plumbing shared by every heardback process: connecting, starting a candidacy or a
role the one way (the client and the Role's activity both start candidacies), and running an
entry point."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowHandle,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from heardback.runtime.converter import data_converter
from heardback.runtime.settings import Settings
from heardback.workflows import contract, search
from heardback.workflows.models import CandidacyInput, RoleInput


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client with the data converter every heardback process must share."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
        **connect_options(settings),
    )


def connect_options(settings: Settings) -> dict[str, Any]:
    """`Client.connect` keyword arguments for a TLS cluster (mTLS or API key), from settings."""
    options: dict[str, Any] = {}
    cert, key, ca = (
        settings.temporal_tls_cert_path,
        settings.temporal_tls_key_path,
        settings.temporal_tls_ca_path,
    )
    if settings.temporal_api_key is not None:
        options["api_key"] = settings.temporal_api_key.get_secret_value()
    if settings.temporal_tls or cert or settings.temporal_api_key is not None:
        options["tls"] = TLSConfig(
            client_cert=cert.read_bytes() if cert else None,
            client_private_key=key.read_bytes() if key else None,
            server_root_ca_cert=ca.read_bytes() if ca else None,
        )
    return options


async def start_candidacy(
    client: Client, inp: CandidacyInput, *, task_queue: str
) -> WorkflowHandle[Any, Any]:
    """Start (or find) the candidacy. Idempotent: a second call returns the same workflow.

    USE_EXISTING makes a start while it runs a no-op; REJECT_DUPLICATE refuses to start a finished
    candidacy again (so nobody gets a second acknowledgement).
    """
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


async def start_role(
    client: Client, inp: RoleInput, *, task_queue: str
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


def run_and_exit(main: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Run an async entry point and leave with its exit code, skipping interpreter teardown.

    Temporal's Python SDK can abort the interpreter during finalisation (sdk-python issue 300:
    "PyGILState_Release: thread state ... must be current"). Once our work is done and streams are
    flushed, nothing is left to clean up that the OS does not, so `os._exit` keeps the exit code
    ours.
    """
    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def ensure_interval_schedule(
    client: Client, schedule_id: str, action: ScheduleActionStartWorkflow, every: timedelta
) -> str:
    """Create a schedule that starts `action` every `every` (a run still going when the next is
    due: the next is skipped, never piled up), or bring an existing one's action and interval
    up to date, keeping an operator's pause. Returns what was done."""
    wanted = Schedule(
        action=action,
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(schedule_id, wanted)
    except ScheduleAlreadyRunningError:

        def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            wanted.state = current.description.schedule.state
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(schedule_id).update(update)
        return "updated"
    return "created"
