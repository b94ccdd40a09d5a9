"""The one activity: render a message and deliver it, at most once per message id."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from temporalio import activity
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from heardback.activities.ledger import Ledger
from heardback.activities.render import Renderer
from heardback.activities.transport import Transport
from heardback.runtime import events, metrics, tenants
from heardback.runtime.settings import Settings
from heardback.workflows import greenhouse_note
from heardback.workflows.contract import ACTIVITY_DELIVER
from heardback.workflows.errors import (
    ERR_DELIVERY_BUSY,
    ERR_MESSAGE_REFUSED,
    ERR_UNDELIVERABLE,
    LedgerBusy,
    MessageRefusedError,
    UndeliverableError,
)
from heardback.workflows.models import DeliveryReceipt, DeliveryRequest, OutboundEvent

log = structlog.get_logger("heardback.delivery")

# The escalations that say a deadline was missed (someone owed a decision, feedback or an
# offer's details in time); the others (a hold about to run out, an unreachable address) do not.
DEADLINE_REASONS = frozenset(
    {"decision_overdue", "feedback_overdue", "offer_details_overdue", "hold_needs_reasons"}
)


class DeliveryActivities:
    """Owns its dependencies, so tests pass their own transport or ledger."""

    def __init__(
        self,
        *,
        transport: Transport,
        ledger: Ledger,
        renderer: Renderer,
        events_settings: Settings | None = None,
    ) -> None:
        self._transport = transport
        self._ledger = ledger
        self._renderer = renderer
        # Events out (message.delivered, message.failed, deadline.missed): posted when these
        # settings enable them.
        self._events = events_settings

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    @property
    def transport(self) -> Transport:
        return self._transport

    @activity.defn(name=ACTIVITY_DELIVER)
    async def deliver(self, req: DeliveryRequest) -> DeliveryReceipt:
        msg = req.message
        bound = log.bind(
            workflow_id=req.workflow_id,
            message_id=msg.message_id,
            kind=msg.kind,
            recipient=msg.recipient,
            attempt=_attempt(),
        )
        if _attempt() > 1:
            metrics.delivery_retried()
        email = self._renderer.render(req)
        # One ledger round trip: the claim says whether an earlier attempt exists.
        try:
            entry = await self._ledger.claim(
                msg.message_id,
                workflow_id=req.workflow_id,
                kind=msg.kind,
                erase_after=req.erase_after,
            )
        except LedgerBusy:
            if await self._transport.already_sent(msg.message_id):
                return await self._recovered(req, bound)
            # Another attempt holds it (a timed-out attempt still running, another replica):
            # retry later, when it has either recorded the delivery or let its claim lapse.
            bound.info("delivery_busy_elsewhere")
            metrics.delivery_failed("busy")
            raise ApplicationError(
                "another attempt is delivering this message", type=ERR_DELIVERY_BUSY
            ) from None
        if entry.status == "delivered":
            bound.info("delivery_skipped_already_delivered")
            await self._tell(req, "delivered")  # an earlier attempt may have failed to
            return DeliveryReceipt(message_id=msg.message_id, duplicate=True)
        if req.once_per_address is not None and not await self._ledger.once_per(
            address_key(msg.kind, msg.to_email), owner=msg.message_id, period=req.once_per_address
        ):
            # e.g. a survey to an address that had one from another role within the cooldown
            await self._ledger.release(msg.message_id)
            bound.info("delivery_skipped_once_per_address")
            return DeliveryReceipt(message_id=msg.message_id, skipped=f"{msg.kind}_cooldown")
        if entry.attempts > 1 and await self._transport.already_sent(msg.message_id):
            # An earlier attempt handed it over but died before recording it.
            return await self._recovered(req, bound)
        recorded = False

        def accepted() -> None:
            nonlocal recorded
            self._ledger.mark_delivered_now(msg.message_id)
            recorded = True

        try:
            await self._transport.send(msg.message_id, email, on_accepted=accepted)
        except MessageRefusedError as err:  # first: it is an UndeliverableError too
            # This message, never (its content, size or our sender refused for good); the
            # address may still work, so the candidacy's later messages still go out.
            bound.error("delivery_message_refused", error=str(err))
            metrics.delivery_failed("refused")
            if not recorded:
                await self._ledger.release(msg.message_id)
            await self._tell(req, "refused")
            raise ApplicationError(str(err), type=ERR_MESSAGE_REFUSED, non_retryable=True) from err
        except UndeliverableError as err:
            bound.warning("delivery_undeliverable", error=str(err))
            metrics.delivery_failed("undeliverable")
            await self._tell(req, "undeliverable")
            raise ApplicationError(str(err), type=ERR_UNDELIVERABLE, non_retryable=True) from err
        except Exception as err:
            bound.warning("delivery_failed_will_retry", error=str(err))
            metrics.delivery_failed("transient")
            if not recorded:
                await self._ledger.release(msg.message_id)  # the retry may claim at once
            raise
        if not recorded:
            await self._ledger.mark_delivered(msg.message_id)
        bound.info("delivered")
        metrics.delivered(msg.kind)
        await self._tell(req, "delivered")
        return DeliveryReceipt(message_id=msg.message_id)

    async def _recovered(self, req: DeliveryRequest, bound: Any) -> DeliveryReceipt:
        message_id = req.message.message_id
        await self._ledger.mark_delivered(message_id)
        bound.info("delivery_recovered_unrecorded_send")
        await self._tell(req, "delivered")
        return DeliveryReceipt(message_id=message_id, duplicate=True)

    async def _tell(
        self, req: DeliveryRequest, outcome: Literal["delivered", "refused", "undeliverable"]
    ) -> None:
        """Emit this message's events (each a workflow of its own, started once per event id:
        a retried attempt emits nothing twice). A delivered message whose events cannot be
        started (Temporal unreachable) raises, so the attempt is retried and emits them then;
        a failed one is reported to its candidacy regardless."""
        if self._events is None:
            return
        settings, tenant = tenants.settings_for_role(self._events, req.role_id)
        msg = req.message
        now = datetime.now(UTC)
        if outcome == "delivered" and msg.recipient == "candidate":
            await _note_in_greenhouse(settings, tenant, req, now)
        if not events.events_enabled(settings):
            return
        ids = {
            "workflow_id": req.workflow_id,
            "role_id": req.role_id,
            "candidate_id": req.candidate_id,
        }
        about = {**ids, "message_id": msg.message_id, "kind": msg.kind, "recipient": msg.recipient}
        out: list[OutboundEvent] = []
        if outcome == "delivered":
            data = {**about, "delivered_at": now.isoformat()}
            out.append(
                events.make_event(
                    settings, "message.delivered", msg.message_id, now, data, tenant=tenant
                )
            )
        else:
            data = {**about, "failure": outcome}
            out.append(
                events.make_event(
                    settings, "message.failed", msg.message_id, now, data, tenant=tenant
                )
            )
        content = msg.content
        if msg.kind == "escalation" and content.reason in DEADLINE_REASONS:
            overdue = content.overdue_since.isoformat() if content.overdue_since else None
            missed: dict[str, str | None] = {
                **ids,
                "deadline": content.reason,
                "overdue_since": overdue,
                "interview_id": content.interview_id,
                "escalation_message_id": msg.message_id,
            }
            key = msg.message_id
            out.append(
                events.make_event(
                    settings, "deadline.missed", key, msg.queued_at, missed, tenant=tenant
                )
            )
        client = activity.client()
        try:
            for event in out:
                await events.emit(client, settings, event)
        except Exception as err:
            if outcome == "delivered":
                raise
            log.warning("events_not_emitted", message_id=msg.message_id, error=type(err).__name__)


_GREENHOUSE_APPLICATION = re.compile(r"^app-(\d{1,18})$")


async def _note_in_greenhouse(
    settings: Settings, tenant: str | None, req: DeliveryRequest, at: datetime
) -> None:
    """With `greenhouse_activity_notes` on, a candidate's delivered message on a candidacy a
    Greenhouse application opened (role `gh-<job>`, candidate `app-<application>`) starts its
    `GreenhouseNote` workflow (once per message id), for the gateway's ATS worker, which holds
    the Harvest v3 credential. Temporal unreachable raises: the attempt is
    retried, and the retry (which finds the message delivered) starts it then."""
    if not settings.greenhouse_activity_notes:
        return
    app = _GREENHOUSE_APPLICATION.match(req.candidate_id)
    if app is None or not tenants.unscoped(tenant, req.role_id).startswith("gh-"):
        return
    msg = req.message
    try:
        await activity.client().start_workflow(
            greenhouse_note.WORKFLOW,
            greenhouse_note.GreenhouseNoteInput(
                application_id=int(app.group(1)),
                message_id=msg.message_id,
                kind=msg.kind,
                delivered_at=at,
                tenant=tenant,
            ),
            id=greenhouse_note.workflow_id(msg.message_id),
            task_queue=settings.ats_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary="note on Greenhouse's activity feed",
        )
    except WorkflowAlreadyStartedError:
        return
    except RPCError as err:
        if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise  # Temporal unreachable: the attempt is retried, and starts the note then
        # Anything else (a permission, a codec failure) is not the message's: it was delivered.
        log.warning(
            "greenhouse_note_not_started", message_id=msg.message_id, status=err.status.name
        )


def address_key(kind: str, address: str) -> str:
    """The ledger's key for "a `kind` to this address": a digest, so the ledger holds no
    address in the clear."""
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()
    return f"{kind}:{digest}"


def _attempt() -> int:
    try:
        return activity.info().attempt
    except RuntimeError:  # called outside an activity (unit tests)
        return 1
