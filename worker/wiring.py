"""Everything a worker, a test or a replayer needs, built from settings in one place."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.delivery import DeliveryActivities
from activities.ledger import Ledger, SqliteLedger
from activities.pg_ledger import PostgresLedger
from activities.render import Renderer
from activities.retention import RetentionActivities
from activities.roles import RoleActivities
from activities.transport import FileTransport, SmtpTransport, Transport
from worker.converter import DATA_CONVERTER, connect_options, data_converter
from worker.settings import Settings
from workflows.candidacy import Candidacy
from workflows.erasure import Erasure
from workflows.retention import RetentionSweep
from workflows.role import RoleWorkflow

WORKFLOWS: Sequence[type] = (Candidacy, RoleWorkflow, Erasure, RetentionSweep)
# The workflow modules are pure (no I/O, no mutable module state: see workflows/), so they are
# imported once and passed through the sandbox instead of re-imported for every workflow run,
# which cut the worker's CPU per candidacy (docs/PERFORMANCE.md). Determinism checks still apply.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
)
__all__ = ["DATA_CONVERTER", "WORKFLOWS"]


def build_transport(settings: Settings) -> Transport:
    if settings.mail_transport == "smtp":
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
            timeout=settings.smtp_timeout_seconds,
        )
    return FileTransport(settings.outbox_dir)


def build_ledger(settings: Settings) -> Ledger:
    if settings.ledger == "postgres":
        if settings.ledger_dsn is None:
            raise ValueError("HEARDBACK_LEDGER=postgres needs HEARDBACK_LEDGER_DSN")
        return PostgresLedger(
            settings.ledger_dsn.get_secret_value(), lease_seconds=settings.ledger_lease_seconds
        )
    return SqliteLedger(settings.ledger_path, lease_seconds=settings.ledger_lease_seconds)


def build_activities(settings: Settings) -> DeliveryActivities:
    return DeliveryActivities(
        transport=build_transport(settings),
        ledger=build_ledger(settings),
        renderer=Renderer(
            mail_from=settings.mail_from, message_id_domain=settings.message_id_domain
        ),
    )


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client with the data converter every heardback process must share."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
        **connect_options(settings),
    )


def tuning(settings: Settings) -> dict[str, Any]:
    """The Worker's optional tuning arguments, where settings override the SDK's defaults."""
    out: dict[str, Any] = {}
    if settings.max_concurrent_workflow_tasks is not None:
        out["max_concurrent_workflow_tasks"] = settings.max_concurrent_workflow_tasks
    if settings.workflow_task_pollers is not None:
        out["workflow_task_poller_behavior"] = PollerBehaviorSimpleMaximum(
            settings.workflow_task_pollers
        )
    if settings.activity_task_pollers is not None:
        out["activity_task_poller_behavior"] = PollerBehaviorSimpleMaximum(
            settings.activity_task_pollers
        )
    return out


def build_worker(
    client: Client, settings: Settings, *, activities: DeliveryActivities | None = None
) -> Worker:
    acts = activities or build_activities(settings)
    roles = RoleActivities(client)
    retention = RetentionActivities(client, ledger=acts.ledger, transport=acts.transport)
    return Worker(
        client,
        task_queue=settings.task_queue,
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.max_concurrent_activities,
        **tuning(settings),
        workflows=list(WORKFLOWS),
        workflow_runner=WORKFLOW_RUNNER,
        activities=[
            acts.deliver,
            acts.erase,
            roles.start_candidacy,
            roles.schedule_erasure,
            roles.send_to_candidacies,
            retention.sweep_retention,
        ],
    )


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
