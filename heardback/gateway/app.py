"""The HTTP gateway: heardback's contract as REST, for backends that are not Python.

Every route but health needs ``Authorization: Bearer <token>`` (tokens from settings); the ATS
webhook is authenticated by its HMAC signature instead. Every response carries ``X-Request-ID``
(the caller's, if it sent a sane one). Errors have one shape: ``{"error", "message",
"request_id"}``. A retry of an update with the same ``Idempotency-Key`` header is applied once.

:func:`create_app` assembles the routers (``routes_*``), the shared state their dependencies read
(:mod:`heardback.gateway.deps`), the request-id middleware and the error handlers
(:mod:`heardback.gateway.errors`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import Depends, FastAPI

from heardback.gateway import (
    pages,
    routes_ats,
    routes_candidacies,
    routes_health,
    routes_roles,
    routes_webhooks,
)
from heardback.gateway.ats_worker import needs_ats_worker, run_ats_worker
from heardback.gateway.deps import ClientHolder, known_query_only, secret_of
from heardback.gateway.errors import add_error_handlers
from heardback.gateway.events_doc import add_webhooks
from heardback.gateway.request_ids import request_ids
from heardback.gateway.webhooks import DedupeStore
from heardback.runtime import tenants
from heardback.runtime.settings import Settings, read_tokens, tokens
from heardback.starter.client import HeardbackClient

log = structlog.get_logger("heardback.gateway")

API_VERSION = "1.0.0"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the webhook dedupe store (when webhooks are configured) for the app's lifetime."""
    settings: Settings = app.state.settings
    if secret_of(settings):
        app.state.dedupe = DedupeStore(
            settings.webhook_dedupe_path, keep=timedelta(days=settings.webhook_dedupe_days)
        )
    if not app.state.tokens and not tenants.load(settings):
        log.warning("gateway_no_tokens", detail="HEARDBACK_API_TOKENS is empty: all refused")
    if app.state.pages.signer is None:
        log.warning("gateway_no_link_keys", detail="HEARDBACK_LINK_KEYS unset: pages refuse links")
    if settings.inbound_smtp_port is not None:
        # Imported only when replies are received (the SMTP listener is aiosmtpd).
        from heardback.gateway.inbound import inbound_from_settings  # noqa: PLC0415

        app.state.inbound = inbound_from_settings(settings, app.state.holder)
    if app.state.inbound is not None:
        app.state.inbound.start()
        log.info("inbound_smtp_listening", port=settings.inbound_smtp_port)
    stopping, ats_worker = asyncio.Event(), None
    if needs_ats_worker(settings):
        # Lever's and Ashby's events are handled by workflows whose activities read the
        # provider's API and this gateway's provider store: this process runs them.
        ats_worker = asyncio.create_task(
            run_ats_worker(
                app.state.holder,
                settings,
                lambda: routes_ats.open_store(app),
                stopping=stopping,
            )
        )
    try:
        yield
    finally:
        stopping.set()
        if ats_worker is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ats_worker, timeout=30)
        if app.state.inbound is not None:
            app.state.inbound.stop()
        if app.state.dedupe is not None:
            app.state.dedupe.close()
        if app.state.ats is not None:
            app.state.ats.close()


def create_app(settings: Settings, *, client: HeardbackClient | None = None) -> FastAPI:
    app = FastAPI(
        title="heardback",
        version=API_VERSION,
        summary="Every candidate hears back: roles and candidacies over HTTP.",
        description=(
            "Authenticate with `Authorization: Bearer <token>`. Errors share one shape "
            "(`error`, `message`, `request_id`). Send `Idempotency-Key` on updates to retry "
            "them safely. Durations are ISO 8601 (`P7D`), times RFC 3339 with an offset."
        ),
        lifespan=lifespan,
        # Served by routes_health behind the bearer token (nothing but health is anonymous).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(known_query_only)],
    )
    app.state.settings = settings
    configured = tenants.load(settings)  # a wrong tenants file stops the start, with where
    if configured:
        log.info("gateway_tenants", tenants=sorted(configured.specs))
    app.state.holder = ClientHolder(settings, client)
    app.state.tokens = [t.encode() for t in tokens(settings)]
    app.state.read_tokens = [t.encode() for t in read_tokens(settings)]
    app.state.dedupe = None  # opened by the lifespan
    app.state.ats = None  # the provider webhooks' store, opened on first use
    app.state.inbound = None  # started by the lifespan when HEARDBACK_INBOUND_SMTP_PORT is set
    app.state.pages = pages.Pages(settings)
    for routes in (routes_health, routes_roles, routes_candidacies, routes_webhooks, pages):
        app.include_router(routes.router)
    app.include_router(routes_ats.router)
    app.include_router(routes_ats.operator)
    app.middleware("http")(request_ids)
    add_error_handlers(app)
    add_webhooks(app)
    return app
