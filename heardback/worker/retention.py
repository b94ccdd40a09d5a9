"""The `heardback-retention` schedule: the worker creates it (or brings its interval and task
queue up to date) at start-up, so a fresh install erases finished candidacies' data on time
without anyone setting it up. Operators see it under Schedules in the Temporal UI; pause it
there, or `temporal schedule trigger --schedule-id heardback-retention` for a pass now."""

from __future__ import annotations

import structlog
from temporalio.client import Client, ScheduleActionStartWorkflow

from heardback.runtime.settings import Settings
from heardback.runtime.temporal import ensure_interval_schedule
from heardback.workflows import contract

log = structlog.get_logger("heardback.retention")


def retention_action(settings: Settings) -> ScheduleActionStartWorkflow:
    return ScheduleActionStartWorkflow(
        contract.RETENTION_SWEEP_WORKFLOW,
        id="heardback-retention-sweep",
        task_queue=settings.task_queue,
    )


async def ensure_retention_schedule(client: Client, settings: Settings) -> str:
    """Create the schedule, or update it to these settings (an operator's pause is kept).
    Returns what was done."""
    return await ensure_interval_schedule(
        client,
        contract.RETENTION_SCHEDULE_ID,
        retention_action(settings),
        settings.retention_sweep_every,
    )


async def keep_retention_schedule(client: Client, settings: Settings) -> None:
    """At worker start: ensure the schedule unless told not to. A failure is logged, not
    fatal: deliveries matter more, and the next start (or an operator) retries."""
    if not settings.retention_schedule:
        return
    try:
        done = await ensure_retention_schedule(client, settings)
    except Exception as err:
        log.warning(
            "retention_schedule_not_ensured",
            schedule_id=contract.RETENTION_SCHEDULE_ID,
            error=f"{type(err).__name__}: {err}",
        )
        return
    log.info(
        "retention_schedule_ready",
        schedule_id=contract.RETENTION_SCHEDULE_ID,
        action=done,
        every=str(settings.retention_sweep_every),
    )
