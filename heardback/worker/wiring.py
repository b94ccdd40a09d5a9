"""Everything a worker, a test or a replayer needs, built from settings in one place."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Replayer, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from heardback.activities.delivery import DeliveryActivities
from heardback.activities.events_out import EventActivities
from heardback.activities.ledger import Ledger, SqliteLedger
from heardback.activities.mail_links import LinkMaker
from heardback.activities.pg_ledger import PostgresLedger
from heardback.activities.render import Renderer
from heardback.activities.retention import RetentionActivities
from heardback.activities.roles import RoleActivities
from heardback.activities.transport import FileTransport, SmtpTransport, Transport
from heardback.runtime.codec import EnvelopeCodec
from heardback.runtime.converter import DATA_CONVERTER
from heardback.runtime.events import any_enabled
from heardback.runtime.links import LinkSigner
from heardback.runtime.settings import Settings, link_keys
from heardback.worker.versioning import deployment_config, deployment_version, make_current
from heardback.workflows.candidacy import Candidacy
from heardback.workflows.events_out import EventOut
from heardback.workflows.retention import EraseCandidacy, RetentionSweep
from heardback.workflows.role import RoleWorkflow

log = structlog.get_logger("heardback.worker")

WORKFLOWS: Sequence[type] = (Candidacy, RoleWorkflow, RetentionSweep, EraseCandidacy)
# On the events task queue, in a Worker of their own (build_event_worker).
EVENT_WORKFLOWS: Sequence[type] = (EventOut,)
# The workflow modules are pure (no I/O, no mutable module state: see workflows/), so they are
# imported once and passed through the sandbox instead of re-imported for every workflow run,
# which cut the worker's CPU per candidacy (docs/PERFORMANCE.md). Determinism checks still apply.
# Passed through (imported once per process, not per workflow run): our own code, and the
# holiday calendars the policy reads for working days, which load a country's module on first
# use (a dynamic import inside a workflow otherwise).
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "heardback", "holidays", "dateutil"
    )
)


@contextlib.asynccontextmanager
async def running(worker: Worker, client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """Run `worker` for the block, and the events worker beside it when events are on; a
    versioned one with `worker_set_current` first makes its build the deployment's current
    version (it must be polling for the server to know it)."""
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(worker)
        events_worker = build_event_worker(client, settings)
        if events_worker is not None:
            await stack.enter_async_context(events_worker)
        version = deployment_version(settings)
        if version is not None and settings.worker_set_current:
            await make_current(client, version)
        yield worker


def build_replayer(
    workflows: Sequence[type] = (*WORKFLOWS, *EVENT_WORKFLOWS), **kwargs: Any
) -> Replayer:
    """A replayer that runs workflow code exactly as the worker does (same sandbox runner; pass
    the worker's data converter, e.g. an encrypting one, as `data_converter`)."""
    kwargs.setdefault("data_converter", DATA_CONVERTER)
    return Replayer(workflows=list(workflows), workflow_runner=WORKFLOW_RUNNER, **kwargs)


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


def build_activities(settings: Settings, transport: Transport | None = None) -> DeliveryActivities:
    """The delivery activities; `transport` replaces the one the settings name (the simulation
    wraps the SMTP transport to note each delivery's simulated time)."""
    return DeliveryActivities(
        transport=transport or build_transport(settings),
        ledger=build_ledger(settings),
        renderer=Renderer(
            mail_from=settings.mail_from,
            message_id_domain=settings.message_id_domain,
            links=build_link_maker(settings),
        ),
        events_settings=settings,
    )


def build_link_maker(settings: Settings) -> LinkMaker | None:
    """The signer of the one-step links in mail; None (no links) without link keys."""
    keys = link_keys(settings)
    if not keys:
        log.warning("no_link_keys", detail="mail carries no one-step links (HEARDBACK_LINK_KEYS)")
        return None
    return LinkMaker(
        signer=LinkSigner(keys),
        public_url=settings.public_url,
        decision_ttl=settings.decision_link_ttl,
        feedback_ttl=settings.feedback_link_ttl,
        reply_address=settings.reply_address if settings.inbound_smtp_port else None,
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
    client: Client,
    settings: Settings,
    *,
    activities: DeliveryActivities | None = None,
    workflows: Sequence[type] = WORKFLOWS,
) -> Worker:
    """The heardback worker: every workflow and activity, on `settings.task_queue`, as the
    version of its Worker Deployment that the settings name (see heardback.worker.versioning).
    `workflows` is for tests that run a changed build of the workflow code."""
    acts = activities or build_activities(settings)
    roles = RoleActivities(client)
    codec = client.data_converter.payload_codec
    retention = RetentionActivities(
        client,
        ledger=acts.ledger,
        transport=acts.transport,
        data_keys=codec.keys if isinstance(codec, EnvelopeCodec) else None,
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.max_concurrent_activities,
        **tuning(settings),
        workflows=list(workflows),
        deployment_config=deployment_config(settings),
        workflow_runner=WORKFLOW_RUNNER,
        activities=[
            acts.deliver,
            roles.start_candidacy,
            roles.send_to_candidacies,
            retention.sweep_retention,
            retention.erase_candidacy,
            EventActivities(settings).announce_event,
        ],
    )


def build_event_worker(
    client: Client, settings: Settings, *, events: EventActivities | None = None
) -> Worker | None:
    """The events worker (on `settings.events_task_queue`): each event's workflow and the
    activity that posts it. None when events are off. Its own queue and slots, so a receiver
    that hangs never holds a delivery back; in the same Worker Deployment version as the main
    worker, started beside it by the same process."""
    if not any_enabled(settings):
        return None
    acts = events or EventActivities(settings)
    return Worker(
        client,
        task_queue=settings.events_task_queue,
        workflows=list(EVENT_WORKFLOWS),
        activities=[acts.post_event],
        max_concurrent_activities=50,
        deployment_config=deployment_config(settings),
        workflow_runner=WORKFLOW_RUNNER,
    )
