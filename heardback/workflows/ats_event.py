"""The `AtsEvent` workflow: one provider event that needs the provider's API before heardback
can act on it (Lever sends ids only; an Ashby candidate's personal address is read from
Ashby when the webhook names a work address).

The webhook answers the provider at once and starts this workflow (id ``ats-<event key>``, the
digest of what the provider signed), on the gateway's own task queue: the gateway keeps the
provider state (events, order, links), so it runs the activities. The workflow carries ids only;
the event's body stays in the gateway's store, sealed by the payload codec, and the activity
returns no personal data, so nothing of the candidate enters this history.

- ``ats_process`` reads the body, asks the provider's API for what is missing, plans and acts.
  The provider's outages and rate limits are retried with backoff for up to six hours (honouring
  ``Retry-After``); a wrong API key, or a payload our processing cannot use, is not retried.
- ``ats_dead_letter`` then keeps the event for an operator, with the reason (never lost: the
  operator retries it once the cause is fixed, and the same workflow id runs again).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

WORKFLOW = "AtsEvent"
ACTIVITY_PROCESS = "ats_process"
ACTIVITY_DEAD_LETTER = "ats_dead_letter"
# Not retried: an operator must act (a wrong key, a payload we cannot use, missing defaults).
NOT_RETRIED = ["NotAllowed", "Unusable", "NeedsOperator"]


def workflow_id(event_key: str) -> str:
    return f"ats-{event_key}"


class AtsEventRef(BaseModel):
    """Which event (ids only: the body stays in the gateway's store)."""

    provider: str = Field(max_length=40)
    event_key: str = Field(max_length=200)
    # Added with tenants: whose event (its API key and defaults); None: the single tenant's.
    tenant: str | None = Field(default=None, max_length=40)


class AtsEventOutcome(BaseModel):
    """What became of it (as in the operator's list of events)."""

    status: str
    reason: str | None = None
    workflow_id: str | None = None


class AtsDeadLetter(BaseModel):
    ref: AtsEventRef
    reason: str = Field(max_length=2000)


def _cause(err: ActivityError) -> str:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return cause.message or (cause.type or "failed")
    return str(cause or err)[:500]


# Run by the gateway's unversioned worker: an event is handled in seconds (hours at worst, while
# a provider is down). A change to this workflow's commands still goes through workflow.patched.
@workflow.defn(name=WORKFLOW)
class AtsEvent:
    @workflow.run
    async def run(self, ref: AtsEventRef) -> AtsEventOutcome:
        try:
            result: AtsEventOutcome = await workflow.execute_activity(
                ACTIVITY_PROCESS,
                ref,
                schedule_to_close_timeout=timedelta(hours=6),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=2),
                    maximum_interval=timedelta(minutes=10),
                    non_retryable_error_types=NOT_RETRIED,
                ),
                result_type=AtsEventOutcome,
                summary=f"read {ref.provider}'s API, then act",
            )
        except ActivityError as err:
            reason = _cause(err)
            workflow.logger.warning("ats event kept for an operator")
            result = await workflow.execute_activity(
                ACTIVITY_DEAD_LETTER,
                AtsDeadLetter(ref=ref, reason=reason[:2000]),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
                result_type=AtsEventOutcome,
                summary="keep the event for an operator",
            )
        return result
