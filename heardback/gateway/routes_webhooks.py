"""The ATS webhook receiver (`POST /v1/webhooks/ats`): authenticated by its HMAC signature rather
than a bearer token; each event is applied once. Parsing, dedupe and mapping to commands live in
:mod:`heardback.gateway.webhooks`."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Header, Request
from pydantic import ValidationError

from heardback.gateway.deps import AppSettings, Dedupe, Holder, RequestId, WebhookSecret
from heardback.gateway.errors import ApiError, ErrorBody
from heardback.gateway.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    GhEvent,
    WebhookOutcome,
    apply_event,
    signature_valid,
)
from heardback.runtime import events
from heardback.runtime.settings import Settings
from heardback.starter.client import HeardbackClient
from heardback.workflows.decoding import describe_errors

log = structlog.get_logger("heardback.gateway")

router = APIRouter(tags=["webhooks"])


@router.post(
    "/v1/webhooks/ats",
    response_model=WebhookOutcome,
    responses={
        400: {"model": ErrorBody, "description": "not JSON, or not an ATS event"},
        401: {"model": ErrorBody, "description": "signature missing or wrong"},
        409: {"model": ErrorBody, "description": "the same event is being processed"},
        503: {"model": ErrorBody, "description": "not configured, or Temporal down: retry"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": GhEvent.model_json_schema()}},
        }
    },
)
async def ats_webhook(
    request: Request,
    *,
    settings: AppSettings,
    secret: WebhookSecret,
    dedupe: Dedupe,
    holder: Holder,
    rid: RequestId,
    signature: Annotated[
        str | None,
        Header(alias=SIGNATURE_HEADER, description="sha256 <hex HMAC of the raw body>"),
    ] = None,
    event_id_header: Annotated[str | None, Header(alias=EVENT_ID_HEADER, max_length=200)] = None,
) -> WebhookOutcome:
    """Greenhouse-style events (candidate_stage_change, reject_candidate, hire_candidate,
    interview_completed, new_candidate_application); others are acknowledged and ignored.
    Each event is applied once, however often it is delivered."""
    if secret is None or dedupe is None:
        raise ApiError(503, "not_configured", "set HEARDBACK_WEBHOOK_SECRET to accept webhooks")
    body = await request.body()
    if not signature_valid(secret, body, signature):
        raise ApiError(401, "unauthorized", f"the {SIGNATURE_HEADER} header does not match")
    try:
        ev = GhEvent.model_validate(json.loads(body))
    except (ValueError, ValidationError) as err:
        detail = describe_errors(err) if isinstance(err, ValidationError) else "not JSON"
        raise ApiError(400, "bad_event", f"not an ATS event: {detail}") from None
    event_id = event_id_header or ev.event_id or hashlib.sha256(body).hexdigest()
    claim, previous = await asyncio.to_thread(dedupe.claim, event_id)
    if claim == "done":
        return WebhookOutcome(
            event_id=event_id, status="duplicate", action=ev.action, reason=previous
        )
    if claim == "in_progress":
        raise ApiError(409, "in_progress", "this event is being processed; retry later")
    try:
        client = await holder.get()
        outcome = await apply_event(client, ev, event_id)
        if outcome.status == "refused":
            await _tell_refused(client, settings, outcome)
    except BaseException:
        await asyncio.to_thread(dedupe.release, event_id)
        raise
    await asyncio.to_thread(dedupe.finish, event_id, outcome.status)
    log.info(
        "webhook_event", event_id=event_id, action=ev.action, status=outcome.status, request_id=rid
    )
    return outcome


async def _tell_refused(client: HeardbackClient, settings: Settings, out: WebhookOutcome) -> None:
    """`command.refused` to the tenant's own system, as for the providers' events (the ATS
    also has the refusal in its answer). Sealed with the candidacy's key when there is one:
    the reason can quote a line. Once per event id, however often the ATS delivers it."""
    data = {
        "source": "ats",
        "workflow_id": out.workflow_id,
        "command": out.action,
        "reason": out.reason,
        "provider_event": out.event_id,
        "action": out.action,
    }
    event = events.make_event(
        settings,
        "command.refused",
        f"ats-{hashlib.sha256(out.event_id.encode()).hexdigest()[:32]}",
        datetime.now(UTC),
        data,
        sealed_for=out.workflow_id,
    )
    await events.emit(client.temporal, settings, event)
