"""Posting events to the tenant's URL (the `EventOut` workflow's activity), and the local
activity with which a candidacy announces its own events.

The post is signed afresh on every attempt (see heardback.runtime.events). The receiver's answer
decides what happens next:

- 2xx: taken; the workflow completes.
- 408, 409, 425, 429 and 5xx, a timeout or a refused connection: retried with backoff (a
  `Retry-After` is honoured as the least wait).
- any other 4xx: refused for good (EventRejected): the workflow fails with the status, for an
  operator to fix the receiver and start it again.

Nothing the receiver answers is logged beyond its status code; the URL is never logged (it may
carry a token).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from heardback.runtime import events, tenants
from heardback.runtime.settings import Settings
from heardback.workflows.contract import ACTIVITY_ANNOUNCE_EVENT, ACTIVITY_POST_EVENT
from heardback.workflows.errors import ERR_EVENT_REJECTED, ERR_EVENTS_OFF
from heardback.workflows.models import EventPosted, OutboundEvent

log = structlog.get_logger("heardback.events")

RETRIED_STATUSES = frozenset({408, 409, 425, 429})


class EventActivities:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._http = http or httpx.AsyncClient(
            timeout=settings.events_timeout_seconds, follow_redirects=False
        )

    @activity.defn(name=ACTIVITY_POST_EVENT)
    async def post_event(self, event: OutboundEvent) -> EventPosted:
        settings = self._settings_of(event)
        secrets = events.event_secrets(settings)
        if not settings.events_url or not secrets:
            raise ApplicationError(
                "events are off (HEARDBACK_EVENTS_URL or HEARDBACK_EVENTS_SECRETS unset)",
                type=ERR_EVENTS_OFF,
                non_retryable=True,
            )
        attempt = activity.info().attempt
        body = events.body_of(event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "heardback-events/1",
            events.EVENT_ID_HEADER: event.id,
            events.EVENT_TYPE_HEADER: event.type,
            events.SIGNATURE_HEADER: events.sign(body, secrets),
        }
        bound = log.bind(event_id=event.id, type=event.type, attempt=attempt)
        try:
            response = await self._http.post(settings.events_url, content=body, headers=headers)
        except httpx.HTTPError as err:
            bound.warning("event_post_failed", error=type(err).__name__)
            raise ApplicationError(
                f"the receiver could not be reached ({type(err).__name__})"
            ) from None
        code = response.status_code
        if 200 <= code < 300:
            bound.info("event_posted", status=code)
            return EventPosted(status_code=code, attempt=attempt)
        if code in RETRIED_STATUSES or code >= 500:
            bound.warning("event_post_refused_for_now", status=code)
            raise ApplicationError(
                f"the receiver answered {code}", next_retry_delay=_retry_after(response)
            )
        bound.error("event_post_rejected", status=code)
        raise ApplicationError(
            f"the receiver answered {code}", type=ERR_EVENT_REJECTED, non_retryable=True
        )

    def _settings_of(self, event: OutboundEvent) -> Settings:
        """The settings of the event's tenant (its URL and secrets); a tenant since removed
        from the tenants file has none: the event is refused for good, not retried forever."""
        try:
            return tenants.settings_for(self._settings, event.tenant)
        except KeyError:
            raise ApplicationError(
                "the event's tenant is no longer in HEARDBACK_TENANTS_FILE",
                type=ERR_EVENTS_OFF,
                non_retryable=True,
            ) from None

    @activity.defn(name=ACTIVITY_ANNOUNCE_EVENT)
    async def announce_event(self, event: OutboundEvent) -> bool:
        """A candidacy's own event (local activity): start its workflow, or nothing when events
        are off (for its tenant: the role id's). The event's give_up_after comes from this
        worker's settings."""
        role = event.data.get("role_id")
        settings, tenant = (
            tenants.settings_for_role(self._settings, role)
            if isinstance(role, str)
            else (self._settings, None)
        )
        if tenant is not None:
            event.tenant, event.data = tenant, events.for_tenant(tenant, event.data)
        event.give_up_after = settings.events_give_up_after
        return await events.emit(activity.client(), settings, event)


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After", "")
    if not value.strip().isdigit():
        return None
    return timedelta(seconds=min(int(value), 3600))
