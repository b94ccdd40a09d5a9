"""The `EventOut` workflow: post one event to the tenant's URL, retrying until it is taken or
`give_up_after` has passed (then the workflow fails, for an operator to see and start again).

One workflow per event, its id the event's (`event:<event id>`), so the same fact emitted twice
is posted once. It runs on its own task queue: a receiver that hangs holds an events worker's
slot, never a delivery's.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, VersioningBehavior
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from heardback.workflows import contract, errors
    from heardback.workflows.decoding import decode
    from heardback.workflows.models import EventPosted, OutboundEvent

# Receivers are often down for minutes (a deploy) and sometimes for hours: back off to every
# ten minutes, for as long as the event's give_up_after allows.
POST_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=0,
    non_retryable_error_types=[errors.ERR_EVENT_REJECTED, errors.ERR_EVENTS_OFF],
)
POST_TIMEOUT = timedelta(seconds=30)


# PINNED: an event's workflow lives minutes (a day at most); it finishes on the build it began.
@workflow.defn(name=contract.EVENT_WORKFLOW, versioning_behavior=VersioningBehavior.PINNED)
class EventOut:
    @workflow.run
    async def run(self, raw: RawValue) -> EventPosted:
        # Unreadable (or sealed with an erased candidate's key): fails as InvalidPayload.
        event = decode(raw, OutboundEvent)
        try:
            posted: EventPosted = await workflow.execute_activity(
                contract.ACTIVITY_POST_EVENT,
                event,
                start_to_close_timeout=POST_TIMEOUT,
                schedule_to_close_timeout=event.give_up_after,
                retry_policy=POST_RETRY,
                result_type=EventPosted,
                summary=f"post {event.type}",
            )
        except ActivityError as err:
            cause = err.cause
            why = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
            raise ApplicationError(
                f"{event.type} {event.id} not taken by the receiver: {why}",
                type=errors.ERR_EVENT_NOT_TAKEN,
                non_retryable=True,
            ) from None
        return posted
