"""Events out: what heardback tells a tenant's own system, and how a receiver checks it.

Each event is posted as JSON to the tenant's URL (``HEARDBACK_EVENTS_URL``) by a short workflow
of its own (``event:<event id>``, on ``HEARDBACK_EVENTS_TASK_QUEUE``), whose activity retries
with backoff: a slow or failing receiver never delays a candidate's mail. Whoever notices the
fact (the delivery activity, a finishing candidacy, the gateway) starts that workflow; as its id
is the event's, the same fact noticed twice is posted once.

The signature: ``Heardback-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]``, one ``v1`` per
configured secret (``HEARDBACK_EVENTS_SECRETS``: list the new one beside the old while rotating),
each the HMAC-SHA256 of ``"<t>." + raw body``. ``t`` is the attempt's own time, so a receiver
can refuse stale deliveries without refusing Temporal's retries. :func:`verify` is the check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from heardback.runtime import tenants
from heardback.runtime.settings import Settings, _split
from heardback.workflows import contract
from heardback.workflows.models import EventType, OutboundEvent

log = structlog.get_logger("heardback.events")

SIGNATURE_HEADER = "Heardback-Signature"
EVENT_ID_HEADER = "Heardback-Event-Id"
EVENT_TYPE_HEADER = "Heardback-Event-Type"
DEFAULT_TOLERANCE = timedelta(minutes=5)


def event_secrets(settings: Settings) -> list[str]:
    return _split(settings.events_secrets)


def events_enabled(settings: Settings) -> bool:
    """Whether events are posted at all: a URL and at least one secret to sign with."""
    return bool(settings.events_url) and bool(event_secrets(settings))


def any_enabled(settings: Settings) -> bool:
    """Whether any tenant (or the single one) has events on: then the events worker runs."""
    return events_enabled(settings) or any(
        events_enabled(tenants.settings_for(settings, t)) for t in tenants.load(settings).specs
    )


def body_of(event: OutboundEvent) -> bytes:
    """The bytes posted: the event without heardback's own bookkeeping (`give_up_after`);
    a tenant's event says whose it is (`tenant`)."""
    doc: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
    }
    if event.tenant is not None:
        doc["tenant"] = event.tenant
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def sign(body: bytes, secrets: Sequence[str], at: int | None = None) -> str:
    """The `Heardback-Signature` value for `body` at unix time `at` (now by default)."""
    stamp = int(time.time()) if at is None else at
    signed = str(stamp).encode() + b"." + body
    parts = [f"t={stamp}"]
    parts += [
        "v1=" + hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets if s
    ]
    return ",".join(parts)


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """A receiver's check: a `v1` made with one of `secrets` over `body`, at a `t` within
    `tolerance` of now. Compared in constant time."""
    if not header:
        return False
    stamp: int | None = None
    given: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            stamp = int(value)
        elif key == "v1":
            given.append(value)
    if stamp is None or not given:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance.total_seconds():
        return False
    signed = str(stamp).encode() + b"." + body
    for secret in secrets:
        want = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(want, g) for g in given):
            return True
    return False


def make_event(
    settings: Settings,
    event_type: EventType,
    key: str,
    occurred_at: datetime,
    data: dict[str, Any],
    *,
    sealed_for: str | None = None,
    tenant: str | None = None,
) -> OutboundEvent:
    """An event whose id is `<type>:<key>`: the same key always names the same fact.

    Events carry ids and heardback's own words, sealed (when encryption is on) with the shared
    data key, so a candidate's erasure does not stop `candidacy.finished: erased`. An event
    whose text may quote the candidate's data (a refusal's reason can quote a feedback line)
    names its candidacy in `sealed_for`: its id becomes `<type>:<workflow id>/<key>` and its
    payloads are sealed with that candidacy's key, erased with it.

    A tenant's event (`tenant`) is posted to that tenant's URL with its secrets, and names its
    role as the tenant does (`r1`, not heardback's `acme.r1`); `settings` are then the
    tenant's (:func:`heardback.runtime.tenants.settings_for`)."""
    if sealed_for:
        key = f"{sealed_for}/{key}"
    return OutboundEvent(
        id=f"{event_type}:{key}",
        type=event_type,
        occurred_at=occurred_at,
        data=for_tenant(tenant, data),
        give_up_after=settings.events_give_up_after,
        tenant=tenant,
    )


def for_tenant(tenant: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as its tenant reads it: the role id without heardback's prefix."""
    role = data.get("role_id")
    if tenant is None or not isinstance(role, str):
        return data
    return {**data, "role_id": tenants.unscoped(tenant, role)}


async def emit(client: Client, settings: Settings, event: OutboundEvent) -> bool:
    """Start the event's workflow (nothing when events are off). True when this call started
    it; False when it was started before (the same fact, noticed again) or events are off.
    Temporal being unreachable raises: the caller is an activity or a request, retried."""
    if not events_enabled(settings):
        return False
    try:
        await client.start_workflow(
            contract.EVENT_WORKFLOW,
            event,
            id=contract.event_workflow_id(event.id),
            task_queue=settings.events_task_queue,
            # A posted or pending event is never posted again; one given up (failed) may be
            # emitted anew by an operator or a retried activity.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"post {event.type}",
        )
    except WorkflowAlreadyStartedError:
        return False
    log.info("event_emitted", event_id=event.id, type=event.type)
    return True
