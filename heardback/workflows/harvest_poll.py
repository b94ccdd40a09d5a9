"""The `HarvestPoll` workflow: Greenhouse's interviews and scorecards, read from its Harvest API
on a Temporal schedule (Greenhouse has no webhook for either).

The gateway creates the schedule (id ``heardback-harvest-poll``) when a Harvest v3 credential is
set; each run reads what changed in a window ending at the run's scheduled time and reaching back
two intervals (so a run that was late or skipped leaves no gap; what is read twice is applied once:
an interview already recorded is not recorded again, a scorecard version is submitted under an
update id of its own). One activity, ``harvest_poll``, does the reading and the recording, on the
gateway's task queue; it returns counts only, so nothing of a candidate enters this history.
Harvest's outages and rate limit are retried with backoff within the run; a wrong credential is
not (the run fails, visibly, and the next run tries again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

WORKFLOW = "HarvestPoll"
ACTIVITY = "harvest_poll"
SCHEDULE_ID = "heardback-harvest-poll"
SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


class HarvestPollInput(BaseModel):
    window: timedelta = timedelta(minutes=20)  # how far back each run reads
    tenant: str | None = None  # added with tenants: whose Harvest (None: the single tenant's)


class HarvestWindow(BaseModel):
    updated_after: datetime
    updated_before: datetime
    tenant: str | None = None


def schedule_id(tenant: str | None) -> str:
    """One schedule per tenant with a Harvest v3 credential (`heardback-harvest-poll-acme`)."""
    return SCHEDULE_ID if tenant is None else f"{SCHEDULE_ID}-{tenant}"


class HarvestPollResult(BaseModel):
    interviews_recorded: int = 0
    feedback_submitted: int = 0
    unchanged: int = 0
    not_ours: int = 0  # applications heardback has no candidacy for
    refused: int = 0  # rounds heardback refused (screening, a finished candidacy): left as they are


# Run by the gateway's unversioned worker, a few seconds each; a change to its commands still
# goes through workflow.patched.
@workflow.defn(name=WORKFLOW)
class HarvestPoll:
    @workflow.run
    async def run(self, inp: HarvestPollInput) -> HarvestPollResult:
        until = workflow.info().typed_search_attributes.get(SCHEDULED_AT) or workflow.now()
        result: HarvestPollResult = await workflow.execute_activity(
            ACTIVITY,
            HarvestWindow(
                updated_after=until - inp.window, updated_before=until, tenant=inp.tenant
            ),
            start_to_close_timeout=timedelta(minutes=5),
            schedule_to_close_timeout=timedelta(minutes=30),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=5),
                maximum_interval=timedelta(minutes=2),
                non_retryable_error_types=["NotAllowed"],
            ),
            result_type=HarvestPollResult,
            summary="read Greenhouse's interviews and scorecards",
        )
        return result
