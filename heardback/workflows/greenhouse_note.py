"""The `GreenhouseNote` workflow: a note on the candidate's activity feed in Greenhouse when
heardback delivered them a message (optional: `HEARDBACK_GREENHOUSE_ACTIVITY_NOTES`), so the
hiring team sees in their own ATS what the candidate has heard.

Started by the delivery activity once the mail system took a candidate's message, for a
candidacy a Greenhouse application opened (`app-<id>`); one workflow per message
(`greenhouse-note:<message id>`), so a retried delivery writes one note. Its activity, on the
gateway's ATS task queue, posts the note with the tenant's Harvest v3 credential
(`POST /v3/notes`), retried with backoff for a day; a wrong credential or a missing scope is not
retried (the workflow fails, for an operator), and an application gone from Greenhouse ends it.
Its input holds ids, the message's kind and its time: nothing of the candidate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

WORKFLOW = "GreenhouseNote"
ACTIVITY = "greenhouse_note"
GIVE_UP_AFTER = timedelta(days=1)


def workflow_id(message_id: str) -> str:
    return f"greenhouse-note:{message_id}"


class GreenhouseNoteInput(BaseModel):
    application_id: int
    message_id: str
    kind: str
    delivered_at: datetime
    tenant: str | None = None


class GreenhouseNoteResult(BaseModel):
    note_id: int | None = None  # Greenhouse's id of the note (None: already there, or gone)
    outcome: str = "posted"  # posted, already_there or application_gone


# Run by the gateway's unversioned ATS worker, seconds each; a change to its commands still
# goes through workflow.patched.
@workflow.defn(name=WORKFLOW)
class GreenhouseNote:
    @workflow.run
    async def run(self, inp: GreenhouseNoteInput) -> GreenhouseNoteResult:
        result: GreenhouseNoteResult = await workflow.execute_activity(
            ACTIVITY,
            inp,
            start_to_close_timeout=timedelta(minutes=2),
            schedule_to_close_timeout=GIVE_UP_AFTER,
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=5),
                maximum_interval=timedelta(minutes=10),
                non_retryable_error_types=["NotAllowed"],
            ),
            result_type=GreenhouseNoteResult,
            summary="note the delivered message on Greenhouse's activity feed",
        )
        return result
