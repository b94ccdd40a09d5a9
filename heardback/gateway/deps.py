"""The gateway's shared dependencies, handed to routes with ``Depends``: settings, the lazily
connected client, the webhook dedupe store (all kept on ``app.state`` by ``create_app``), bearer
authentication, unknown-query refusal, request ids and idempotency keys."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from heardback.gateway.errors import ApiError
from heardback.gateway.request_ids import request_id
from heardback.gateway.webhooks import DedupeStore
from heardback.runtime import tenants
from heardback.runtime.converter import data_converter
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import connect_options
from heardback.starter.client import HeardbackClient
from heardback.workflows.models import check_id

# --- the client, connected lazily (the gateway starts even while Temporal is down) -------------


class ClientHolder:
    def __init__(self, settings: Settings, client: HeardbackClient | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def get(self) -> HeardbackClient:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await HeardbackClient.connect(
                        self._settings.temporal_address,
                        namespace=self._settings.namespace,
                        task_queue=self._settings.task_queue,
                        data_converter=data_converter(self._settings),
                        **connect_options(self._settings),
                    )
        return self._client

    async def ready(self) -> bool:
        try:
            client = await asyncio.wait_for(self.get(), timeout=3)
            await client.temporal.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timedelta(seconds=2)
            )
        except Exception:
            return False
        return True


# --- what create_app keeps on app.state ------------------------------------------------------
# (async, as every dependency here: a plain `def` dependency would run in the thread pool)


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def client_holder(request: Request) -> ClientHolder:
    holder: ClientHolder = request.app.state.holder
    return holder


AppSettings = Annotated[Settings, Depends(app_settings)]
Holder = Annotated[ClientHolder, Depends(client_holder)]


async def heardback_client(holder: Holder) -> HeardbackClient:
    return await holder.get()


def secret_of(settings: Settings) -> str | None:
    """The ATS webhooks' HMAC secret; None (webhooks refused) when unset or empty."""
    secret = settings.webhook_secret
    return secret.get_secret_value() if secret else None


async def webhook_secret(settings: AppSettings) -> str | None:
    return secret_of(settings)


async def dedupe_store(request: Request) -> DedupeStore | None:
    """The webhook events seen (opened by the app's lifespan when webhooks are configured)."""
    store: DedupeStore | None = request.app.state.dedupe
    return store


async def this_request_id(request: Request) -> str:
    return request_id(request)


Hb = Annotated[HeardbackClient, Depends(heardback_client)]
WebhookSecret = Annotated[str | None, Depends(webhook_secret)]
Dedupe = Annotated[DedupeStore | None, Depends(dedupe_store)]
RequestId = Annotated[str, Depends(this_request_id)]


# --- bearer authentication -----------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="a token from HEARDBACK_API_TOKENS")


@dataclass(frozen=True)
class Scope:
    """Whose request this is: a tenant's token reaches only that tenant's roles, by the ids the
    tenant uses (kept inside heardback under its prefix, `acme.r1`); the operator's tokens
    (HEARDBACK_API_TOKENS) reach every role by heardback's own ids."""

    tenant: str | None = None
    read_only: bool = False

    def role(self, role_id: str) -> str:
        """The role id as heardback keeps it (422 when, prefixed, it is too long)."""
        inside = tenants.scoped(self.tenant, role_id)
        try:
            return check_id(inside)
        except ValueError:
            room = 96 - len(tenants.scoped(self.tenant, ""))
            raise ApiError(
                422, "invalid_input", f"role ids of this tenant are at most {room} characters"
            ) from None

    def out(self, role_id: str) -> str:
        """The role id as the caller knows it."""
        return tenants.unscoped(self.tenant, role_id)

    def owns(self, role_id: str | None) -> bool:
        return self.tenant is None or (role_id is not None and tenants.owns(self.tenant, role_id))


async def authorised(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Scope:
    if creds is None or creds.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    given = creds.credentials.encode()
    # Compare against every token, always, in constant time: nothing to learn from timing.
    matched = reader = False
    for token in request.app.state.tokens:
        matched |= hmac.compare_digest(token, given)
    for token in request.app.state.read_tokens:
        reader |= hmac.compare_digest(token, given)
    found: Scope | None = None
    for token, tenant, read_only in tenants.load(request.app.state.settings).token_scopes():
        if hmac.compare_digest(token, given):
            found = Scope(tenant, read_only)
    if matched:
        found = Scope()
    elif found is None and reader:
        found = Scope(read_only=True)
    if found is None:
        raise ApiError(401, "unauthorized", "the bearer token is not accepted")
    if found.read_only and request.method not in READ_METHODS:
        raise ApiError(403, "forbidden", "this token may only read (GET): use a full token")
    return found


READ_METHODS = frozenset({"GET", "HEAD"})


AUTH = Depends(authorised)  # in a route's or router's `dependencies`
# A route's parameter: who is asking (the same dependency, run once per request).
Scoped = Annotated[Scope, Depends(authorised)]


# --- unknown query parameters ----------------------------------------------------------------


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_query_only(request: Request) -> None:
    """Refuse unknown query parameters (a typo like `?withn=P1D` must not be silently ignored),
    as bodies refuse unknown fields."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if "pages" in getattr(route, "tags", ()):
        return  # a person's page: a mail client's tracking parameters must not break the link
    dependant = getattr(route, "dependant", None)
    allowed = _query_names(dependant) if dependant is not None else set()
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ApiError(
            422, "invalid_input", f"unknown query parameter(s) {unknown}; this route takes: {known}"
        )


# --- idempotency keys ------------------------------------------------------------------------

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="retry-safe key: a repeated update with the same key is applied once",
    ),
]


def update_id(op: str) -> Any:
    """``Depends`` for the update id an `op` is sent with: derived from the caller's
    ``Idempotency-Key`` (a retry with the same key is applied once), None without one."""

    async def from_key(idem: IdempotencyKey = None) -> str | None:
        return None if idem is None else f"http-{op}-{hashlib.sha256(idem.encode()).hexdigest()}"

    return Depends(from_key)
