"""The events heardback posts to a tenant (``HEARDBACK_EVENTS_URL``), as the OpenAPI document's
``webhooks`` section: one entry per event type, its body's schema, its headers and answers.

Posted by the worker (heardback.activities.events_out), not by the gateway: this module only
describes them, in the document the gateway serves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field

from heardback.workflows.models import FinalOutcome, MessageKind, Recipient

HEADERS = (
    "Headers: `Heardback-Event-Id` (the body's `id`: the same on every attempt, dedupe on it), "
    "`Heardback-Event-Type`, and `Heardback-Signature: t=<unix seconds>,v1=<hex>` (one `v1` per "
    "configured secret), the HMAC-SHA256 of `<t>.<raw body>` under the secret; refuse a `t` "
    "more than five minutes from now. Answer 2xx once the event is kept. 408, 409, 425, 429 "
    "and 5xx (or no answer within the timeout) are retried with backoff, honouring "
    "`Retry-After`, for `HEARDBACK_EVENTS_GIVE_UP_AFTER` (one day by default); any other 4xx "
    "is final. Events are not ordered: order by `occurred_at`."
)


class Ids(BaseModel):
    workflow_id: str = Field(description="the candidacy's workflow id")
    role_id: str
    candidate_id: str


class MessageDeliveredData(Ids):
    message_id: str = Field(description="stable: the same id the candidacy's status shows")
    kind: MessageKind
    recipient: Recipient
    delivered_at: datetime = Field(description="when the mail system took the message")


class MessageFailedData(Ids):
    message_id: str
    kind: MessageKind
    recipient: Recipient
    failure: Literal["refused", "undeliverable"] = Field(
        description=(
            "refused: the mail system refused this message for good (later messages still "
            "go out); undeliverable: the address cannot be delivered to"
        )
    )


class DeadlineMissedData(Ids):
    deadline: Literal[
        "decision_overdue", "feedback_overdue", "offer_details_overdue", "hold_needs_reasons"
    ] = Field(description="which obligation was not met in time")
    overdue_since: datetime | None = None
    interview_id: str | None = Field(default=None, description="feedback_overdue: the round")
    escalation_message_id: str = Field(description="the escalation sent to the hiring contact")


class CandidacyFinishedData(Ids):
    outcome: FinalOutcome | None = Field(description="null only for a candidacy that never began")
    stage: str = Field(description="the stage it ended at")
    finished_at: datetime


class CommandRefusedData(BaseModel):
    source: str = Field(
        description="greenhouse, lever, ashby, greenhouse_harvest, or ats (the generic endpoint)"
    )
    workflow_id: str | None = Field(description="the candidacy, when the command named one")
    command: str = Field(description="what heardback was asked: reject, advance, add_candidate...")
    reason: str = Field(description="the refusal, as heardback's client would have been told")
    provider_event: str | None = Field(
        default=None, description="the provider event's key, as in GET /v1/webhooks/events"
    )
    action: str | None = Field(default=None, description="the provider's action or event name")
    interview_id: str | None = Field(default=None, description="a Harvest round")


class _Event(BaseModel):
    id: str = Field(description="stable for the fact: `<type>:<key>`")
    occurred_at: datetime


class MessageDelivered(_Event):
    type: Literal["message.delivered"]
    data: MessageDeliveredData


class MessageFailed(_Event):
    type: Literal["message.failed"]
    data: MessageFailedData


class DeadlineMissed(_Event):
    type: Literal["deadline.missed"]
    data: DeadlineMissedData


class CandidacyFinished(_Event):
    type: Literal["candidacy.finished"]
    data: CandidacyFinishedData


class CommandRefused(_Event):
    type: Literal["command.refused"]
    data: CommandRefusedData


def add_webhooks(app: FastAPI) -> None:
    """Describe each event in `app.webhooks` (documentation only: nothing is served)."""
    answers: dict[int | str, dict[str, Any]] = {200: {"description": "kept (any 2xx)"}}

    def entry(name: str, summary: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
        return app.webhooks.post(name, responses=answers, summary=summary, description=HEADERS)

    @entry("message.delivered", "A message was taken by the mail system")
    def message_delivered(body: MessageDelivered, heardback_signature: str = Header()) -> None:
        """To a candidate, an interviewer or a contact."""

    @entry("message.failed", "A message can never be delivered as addressed, or was refused")
    def message_failed(body: MessageFailed, heardback_signature: str = Header()) -> None:
        """The candidacy carries on: the contact is told, later messages still go out."""

    @entry("deadline.missed", "A decision, feedback or an offer's details were not given in time")
    def deadline_missed(body: DeadlineMissed, heardback_signature: str = Header()) -> None:
        """heardback escalated to the hiring contact (and told the candidate of the delay)."""

    @entry("candidacy.finished", "A candidacy ended: the candidate has heard everything owed")
    def candidacy_finished(body: CandidacyFinished, heardback_signature: str = Header()) -> None:
        """Or it was erased (`outcome: erased`)."""

    @entry("command.refused", "A command heardback refused on a provider's behalf")
    def command_refused(body: CommandRefused, heardback_signature: str = Header()) -> None:
        """E.g. a rejection without the written reasons the effort rule asks for: the provider
        itself only ever hears 200."""
