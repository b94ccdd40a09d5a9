"""Provider webhooks as the providers send them: `POST /v1/webhooks/greenhouse`, `/lever` and
`/ashby` (each verified by the provider's own signature, no bearer token), and the operator's
list of what became of every event, `GET /v1/webhooks/events` (bearer), with a retry for the
ones kept as dead letters.

Greenhouse's events carry what heardback needs and are applied in the request. Lever's carry
ids only, and Ashby's sometimes lack the personal address: those are kept sealed and handed to
an AtsEvent workflow (heardback.workflows.ats_event) whose activity reads the provider's API,
so the webhook answers at once and a provider outage delays an event without losing it.

Greenhouse counts only a 200 as delivered and retries everything else for about 15 hours, so
every documented event is answered 200 with what became of it; a 5xx only when Temporal cannot
be reached (a retry will then succeed), a 401 only for a wrong signature."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, SecretStr
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from heardback.gateway import ashby, greenhouse, lever
from heardback.gateway.ats_apply import Applied, NeedsOperator, Tenant, apply_plan, seal, unseal
from heardback.gateway.ats_plan import Unusable
from heardback.gateway.ats_store import AtsStore
from heardback.gateway.deps import AUTH, AppSettings, ClientHolder, Holder, RequestId, Scoped
from heardback.gateway.errors import ERRORS, ApiError, ErrorBody
from heardback.runtime import tenants
from heardback.runtime.settings import Settings
from heardback.workflows import ats_event

log = structlog.get_logger("heardback.gateway")

router = APIRouter(tags=["webhooks"])
operator = APIRouter(tags=["webhooks"], dependencies=[AUTH], responses=ERRORS)


class ProviderOutcome(BaseModel):
    """What became of one provider event (ids only)."""

    event: str  # the digest of the signed body: what deduplicates it
    # accepted: handed to its workflow (Lever, Ashby); the events list says what became of it
    status: Literal["processed", "accepted", "duplicate", "ignored", "refused", "failed"]
    action: str
    reason: str | None = None
    workflow_id: str | None = None


class EventView(BaseModel):
    event: str
    provider: str
    action: str
    provider_event_id: str | None
    received_at: float
    status: str
    reason: str | None
    retryable: bool  # a dead letter whose body was kept


def open_store(app: Any) -> AtsStore:
    """The app's provider store, opened on first use."""
    store: AtsStore | None = getattr(app.state, "ats", None)
    if store is None:
        settings: Settings = app.state.settings
        store = AtsStore(settings.ats_store_path)
        app.state.ats = store
    return store


def store_of(request: Request) -> AtsStore:
    return open_store(request.app)


def _secrets(given: SecretStr | None) -> list[str]:
    if given is None:
        return []
    return [s.strip() for s in given.get_secret_value().split(",") if s.strip()]


def greenhouse_secrets(settings: Settings) -> list[str]:
    return _secrets(settings.greenhouse_webhook_secrets)


TenantPath = Annotated[
    str,
    Path(
        pattern=tenants.TENANT_RE.pattern,
        description="the tenant's id (a [tenants.<id>] table of HEARDBACK_TENANTS_FILE)",
    ),
]


def tenant_settings(settings: Settings, tenant: str | None) -> Settings:
    """The settings a provider event of `tenant` is handled with. An unknown tenant is a 401,
    as a wrong signature is (nothing to learn about which tenants exist)."""
    try:
        return tenants.settings_for(settings, tenant)
    except KeyError:
        raise ApiError(
            401, "unauthorized", "no such tenant, or the signature does not match: check the URL"
        ) from None


def _unset(tenant: str | None, env: str, key: str) -> str:
    if tenant is None:
        return f"set {env}"
    return f"set {key} in [tenants.{tenant}] of the tenants file"


async def _seal(request: Request, body: bytes) -> bytes:
    return await seal(await request.app.state.holder.get(), body)


async def _unseal(request: Request, kept: bytes) -> bytes:
    return await unseal(await request.app.state.holder.get(), kept)


async def process(
    request: Request,
    body: bytes,
    key: str,
    holder: Holder,
    settings: Settings,
    *,
    tenant: str | None = None,
) -> ProviderOutcome:
    """Plan and apply one verified Greenhouse event; records the outcome."""
    store = store_of(request)
    try:
        event = greenhouse.parse(body)
        plan = greenhouse.plan(
            event, reasons_as_written=settings.ats_rejection_reasons == "as_written"
        )
    except Unusable as err:
        return await _dead(request, store, key=key, action="unknown", reason=str(err), body=body)
    client = await holder.get()
    try:
        done: Applied = await apply_plan(
            Tenant(client, store, settings, greenhouse.PROVIDER, tenant),
            plan,
            f"gh-{key[-32:]}",
            event_key=key,
        )
    except NeedsOperator as err:
        return await _dead(request, store, key=key, action=plan.action, reason=str(err), body=body)
    outcome = ProviderOutcome(
        event=key,
        status=done.status,
        action=plan.action,
        reason=done.reason,
        workflow_id=done.workflow_id,
    )
    await asyncio.to_thread(store.finish, key, outcome.status, outcome.reason)  # type: ignore[arg-type]
    return outcome


async def _dead(
    request: Request, store: AtsStore, *, key: str, action: str, reason: str, body: bytes
) -> ProviderOutcome:
    kept = await _seal(request, body)
    await asyncio.to_thread(store.finish, key, "failed", reason, kept)
    log.warning(
        "webhook_dead_letter", provider=key.split(":", maxsplit=1)[0], action=action, event_key=key
    )
    return ProviderOutcome(event=key, status="failed", action=action, reason=reason)


GREENHOUSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "the Signature header does not match"},
    503: {"model": ErrorBody, "description": "not configured, or Temporal down: retry"},
}
Signature = Annotated[
    str | None,
    Header(alias=greenhouse.SIGNATURE_HEADER, description="sha256 <hex HMAC of the raw body>"),
]
GreenhouseEventId = Annotated[str | None, Header(alias=greenhouse.EVENT_ID_HEADER, max_length=200)]


@router.post(
    "/v1/webhooks/greenhouse", response_model=ProviderOutcome, responses=GREENHOUSE_RESPONSES
)
async def greenhouse_webhook(
    request: Request,
    *,
    settings: AppSettings,
    holder: Holder,
    rid: RequestId,
    signature: Signature = None,
    event_id: GreenhouseEventId = None,
) -> ProviderOutcome:
    """Every event Greenhouse documents: mapped, or acknowledged and recorded as not relevant.
    Each signed body acts once, whatever its `Greenhouse-Event-ID`."""
    return await _greenhouse(
        request, None, settings, holder, rid=rid, signature=signature, event_id=event_id
    )


@router.post(
    "/v1/webhooks/greenhouse/{tenant}",
    response_model=ProviderOutcome,
    responses=GREENHOUSE_RESPONSES,
)
async def greenhouse_tenant_webhook(
    request: Request,
    tenant: TenantPath,
    *,
    settings: AppSettings,
    holder: Holder,
    rid: RequestId,
    signature: Signature = None,
    event_id: GreenhouseEventId = None,
) -> ProviderOutcome:
    """A tenant's Greenhouse (its own secrets, defaults and ids): as `/v1/webhooks/greenhouse`."""
    return await _greenhouse(
        request, tenant, settings, holder, rid=rid, signature=signature, event_id=event_id
    )


async def _greenhouse(
    request: Request,
    tenant: str | None,
    base: Settings,
    holder: ClientHolder,
    *,
    rid: str,
    signature: str | None,
    event_id: str | None,
) -> ProviderOutcome:
    settings = tenant_settings(base, tenant)
    secrets = greenhouse_secrets(settings)
    if not secrets:
        raise ApiError(
            503,
            "not_configured",
            _unset(tenant, "HEARDBACK_GREENHOUSE_WEBHOOK_SECRETS", "greenhouse_webhook_secrets")
            + " to accept Greenhouse",
        )
    body = await request.body()
    if not greenhouse.verify(secrets, body, signature):
        raise ApiError(401, "unauthorized", "the Signature header does not match")
    key = tenants.scoped(tenant, greenhouse.event_key(body))
    store = store_of(request)
    try:
        action = str(greenhouse.parse(body)["action"])
    except Unusable:
        action = "unknown"
    provider = tenants.provider_key(tenant, greenhouse.PROVIDER)
    seen = await asyncio.to_thread(store.claim, key, provider, action, event_id)
    if seen is not None:
        if seen.status == "in_progress":
            raise ApiError(503, "in_progress", "this event is being processed; retry later")
        return ProviderOutcome(
            event=key, status="duplicate", action=seen.action, reason=seen.reason
        )
    try:
        outcome = await process(request, body, key, holder, settings, tenant=tenant)
    except BaseException:
        await asyncio.to_thread(store.release, key)
        raise
    log.info(
        "provider_event",
        provider="greenhouse",
        tenant=tenant,
        action=outcome.action,
        status=outcome.status,
        event_key=key,
        provider_event_id=event_id,
        request_id=rid,
    )
    return outcome


LEVER_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "the body's signature does not match, or stale"},
    503: {"model": ErrorBody, "description": "not configured: retry"},
}


@router.post("/v1/webhooks/lever", response_model=ProviderOutcome, responses=LEVER_RESPONSES)
async def lever_webhook(
    request: Request, *, settings: AppSettings, rid: RequestId
) -> ProviderOutcome:
    """Every event Lever documents, verified by the signature inside its body; events heardback
    cannot act on without Lever's API are kept (dead letters), never lost."""
    return await _lever(request, None, settings, rid)


@router.post(
    "/v1/webhooks/lever/{tenant}", response_model=ProviderOutcome, responses=LEVER_RESPONSES
)
async def lever_tenant_webhook(
    request: Request, tenant: TenantPath, *, settings: AppSettings, rid: RequestId
) -> ProviderOutcome:
    """A tenant's Lever (its own signature tokens, API key, defaults and ids)."""
    return await _lever(request, tenant, settings, rid)


async def _lever(request: Request, tenant: str | None, base: Settings, rid: str) -> ProviderOutcome:
    settings = tenant_settings(base, tenant)
    secrets = _secrets(settings.lever_webhook_secrets)
    if not secrets:
        raise ApiError(
            503,
            "not_configured",
            _unset(tenant, "HEARDBACK_LEVER_WEBHOOK_SECRETS", "lever_webhook_secrets")
            + " to accept Lever",
        )
    body = await request.body()
    try:
        event = lever.verify(secrets, body, max_age=settings.lever_max_age)
    except lever.Refused as err:
        raise ApiError(401, "unauthorized", str(err)) from None
    key, action = tenants.scoped(tenant, lever.event_key(event)), str(event.get("event", "unknown"))
    handling, why = lever.answer(event)
    outcome = await _hand_over(
        request, key, lever.PROVIDER, action, body, queue=handling == "fetch", why=why,
        tenant=tenant,
    )  # fmt: skip
    log.info("provider_event", provider="lever", tenant=tenant, action=action,
             status=outcome.status, event_key=key, request_id=rid)  # fmt: skip
    return outcome


async def _hand_over(
    request: Request,
    key: str,
    provider: str,
    action: str,
    body: bytes,
    *,
    queue: bool,
    why: str,
    tenant: str | None,
) -> ProviderOutcome:
    """Record an event of a provider whose events need its API: ignored (with why), or kept
    sealed and handed to its AtsEvent workflow, which reads the API and acts (answered at once:
    `accepted`, what became of it in the events list). Acts once per signed event."""
    store = store_of(request)
    kept_as = tenants.provider_key(tenant, provider)
    seen = await asyncio.to_thread(store.claim, key, kept_as, action, None)
    if seen is not None:
        if seen.status == "in_progress":
            raise ApiError(503, "in_progress", "this event is being received; retry later")
        return ProviderOutcome(
            event=key, status="duplicate", action=seen.action, reason=seen.reason
        )
    if not queue:
        await asyncio.to_thread(store.finish, key, "ignored", why)
        return ProviderOutcome(event=key, status="ignored", action=action, reason=why)
    try:
        await asyncio.to_thread(store.queue, key, await _seal(request, body))
        wf = await _start_event(request, provider, key, tenant)
    except BaseException:
        await asyncio.to_thread(store.release, key)
        raise
    return ProviderOutcome(event=key, status="accepted", action=action, reason=why, workflow_id=wf)


async def _start_event(request: Request, provider: str, key: str, tenant: str | None) -> str:
    settings: Settings = request.app.state.settings
    client = await request.app.state.holder.get()
    wf = ats_event.workflow_id(key)
    try:
        await client.temporal.start_workflow(
            ats_event.WORKFLOW,
            ats_event.AtsEventRef(provider=provider, event_key=key, tenant=tenant),
            id=wf,
            task_queue=settings.ats_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass  # already being handled
    except RPCError as err:
        raise ApiError(503, "unavailable", "Temporal cannot be reached; retry") from err
    return wf


ASHBY_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "the Ashby-Signature header does not match"},
    503: {"model": ErrorBody, "description": "not configured, or Temporal down: retry"},
}
AshbySignature = Annotated[
    str | None,
    Header(alias=ashby.SIGNATURE_HEADER, description="sha256=<hex HMAC of the raw body>"),
]


@router.post("/v1/webhooks/ashby", response_model=ProviderOutcome, responses=ASHBY_RESPONSES)
async def ashby_webhook(
    request: Request,
    *,
    settings: AppSettings,
    rid: RequestId,
    signature: AshbySignature = None,
) -> ProviderOutcome:
    """Every action Ashby documents: mapped (handed to a workflow, which reads Ashby's API when
    the webhook leaves something out), or acknowledged and recorded as not relevant."""
    return await _ashby(request, None, settings, rid, signature)


@router.post(
    "/v1/webhooks/ashby/{tenant}", response_model=ProviderOutcome, responses=ASHBY_RESPONSES
)
async def ashby_tenant_webhook(
    request: Request,
    tenant: TenantPath,
    *,
    settings: AppSettings,
    rid: RequestId,
    signature: AshbySignature = None,
) -> ProviderOutcome:
    """A tenant's Ashby (its own secrets, API key, defaults and ids)."""
    return await _ashby(request, tenant, settings, rid, signature)


async def _ashby(
    request: Request, tenant: str | None, base: Settings, rid: str, signature: str | None
) -> ProviderOutcome:
    settings = tenant_settings(base, tenant)
    secrets = _secrets(settings.ashby_webhook_secrets)
    if not secrets:
        raise ApiError(
            503,
            "not_configured",
            _unset(tenant, "HEARDBACK_ASHBY_WEBHOOK_SECRETS", "ashby_webhook_secrets")
            + " to accept Ashby",
        )
    body = await request.body()
    if not ashby.verify(secrets, body, signature):
        raise ApiError(401, "unauthorized", "the Ashby-Signature header does not match")
    kept_as = tenants.provider_key(tenant, ashby.PROVIDER)
    try:
        event = ashby.parse(body)
    except Unusable as err:
        key = tenants.scoped(tenant, f"{ashby.PROVIDER}-{hashlib.sha256(body).hexdigest()}")
        store = store_of(request)
        if await asyncio.to_thread(store.claim, key, kept_as, "unknown", None) is None:
            return await _dead(
                request, store, key=key, action="unknown", reason=str(err), body=body
            )
        return ProviderOutcome(event=key, status="duplicate", action="unknown")
    key = tenants.scoped(tenant, ashby.event_key(event, body))
    action = str(event["action"])
    handling, why = ashby.answer(event)
    outcome = await _hand_over(
        request, key, ashby.PROVIDER, action, body, queue=handling == "map", why=why,
        tenant=tenant,
    )  # fmt: skip
    log.info("provider_event", provider="ashby", tenant=tenant, action=action,
             status=outcome.status, event_key=key, request_id=rid)  # fmt: skip
    return outcome


@operator.get("/v1/webhooks/events", response_model=list[EventView])
async def list_events(
    request: Request,
    who: Scoped,
    status: Annotated[
        Literal["processed", "ignored", "refused", "failed"] | None,
        Query(description="only events with this outcome (failed: the dead letters)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventView]:
    """What became of provider events, newest first: ids, actions and reasons only."""
    prefix = None if who.tenant is None else tenants.provider_key(who.tenant, "")
    rows = await asyncio.to_thread(store_of(request).events, status, limit, prefix)
    return [
        EventView(
            event=r.event_key,
            provider=r.provider if prefix is None else r.provider.removeprefix(prefix),
            action=r.action,
            provider_event_id=r.header_id,
            received_at=r.received_at,
            status=r.status,
            reason=r.reason,
            retryable=r.has_body,
        )
        for r in rows
    ]


@operator.post("/v1/webhooks/events/{event}/retry", response_model=ProviderOutcome)
async def retry_event(
    request: Request,
    event: Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,200}$", description="its id")],
    settings: AppSettings,
    holder: Holder,
    who: Scoped,
) -> ProviderOutcome:
    """Process a dead letter again (after fixing its cause, e.g. the tenant's defaults)."""
    head, dot, rest = event.partition(tenants.SEPARATOR)
    tenant, bare = (head, rest) if dot else (None, event)
    if who.tenant is not None and tenant != who.tenant:
        raise ApiError(404, "not_found", "no dead letter with that id (or it was retried)")
    if tenant is not None and not tenants.known(settings, tenant):
        raise ApiError(404, "not_found", "no dead letter with that id (its tenant is gone)")
    store = store_of(request)
    kept = await asyncio.to_thread(store.body, event)
    if kept is None:
        raise ApiError(404, "not_found", "no dead letter with that id (or it was retried)")
    body = await _unseal(request, kept)
    if bare.startswith((f"{lever.PROVIDER}-", f"{ashby.PROVIDER}-")):
        if not await asyncio.to_thread(store.requeue, event):
            raise ApiError(409, "conflict", "that event is not a dead letter now")
        provider = bare.split("-", maxsplit=1)[0]
        wf = await _start_event(request, provider, event, tenant)
        return ProviderOutcome(event=event, status="accepted", action=provider, workflow_id=wf)
    if greenhouse.event_key(body) != bare:
        raise ApiError(409, "conflict", "the kept body does not match its id")
    return await process(
        request, body, event, holder, tenant_settings(settings, tenant), tenant=tenant
    )
