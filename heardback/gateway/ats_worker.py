"""The gateway's worker for provider events that need the provider's API (the AtsEvent
workflow, see heardback.workflows.ats_event): Lever's, and Ashby's when its webhook leaves
something out; and for Greenhouse's interviews and scorecards, read from Harvest on a Temporal
schedule (the HarvestPoll workflow, see heardback.workflows.harvest_poll and
heardback.gateway.harvest). It runs inside the gateway process, on its own task queue
(`HEARDBACK_ATS_TASK_QUEUE`), because the gateway holds the provider state these activities
read and write (the events' sealed bodies, the order per application, the candidate links).

Started by the gateway's lifespan when Lever or Ashby, or a Harvest v3 credential, is
configured; it waits for Temporal like the rest of the gateway, and stops with it (in-flight
activities are retried by Temporal).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import structlog
from pydantic import SecretStr, ValidationError
from temporalio import activity
from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from heardback.gateway import ashby, ats_plan, harvest, lever
from heardback.gateway.ats_apply import NeedsOperator, Tenant, apply_plan, tell_refused, unseal
from heardback.gateway.ats_plan import Plan, Unusable
from heardback.gateway.ats_store import AtsStore
from heardback.gateway.deps import ClientHolder
from heardback.gateway.provider_api import (
    ClientCredentials,
    Gone,
    NotAllowed,
    ProviderApi,
    TryLater,
)
from heardback.runtime import tenants
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import ensure_interval_schedule
from heardback.workflows import contract
from heardback.workflows.ats_event import (
    ACTIVITY_DEAD_LETTER,
    ACTIVITY_PROCESS,
    AtsDeadLetter,
    AtsEvent,
    AtsEventOutcome,
    AtsEventRef,
)
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import InvalidInput, NotFound, Refused
from heardback.workflows.greenhouse_note import (
    ACTIVITY as ACTIVITY_NOTE,
)
from heardback.workflows.greenhouse_note import (
    GreenhouseNote,
    GreenhouseNoteInput,
    GreenhouseNoteResult,
)
from heardback.workflows.harvest_poll import (
    ACTIVITY as ACTIVITY_HARVEST,
)
from heardback.workflows.harvest_poll import (
    HarvestPoll,
    HarvestPollInput,
    HarvestPollResult,
    HarvestWindow,
    schedule_id,
)
from heardback.workflows.models import InterviewCompleted, SubmitFeedback, Via

log = structlog.get_logger("heardback.gateway")

RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("heardback")
)


def api_of(settings: Settings, provider: str) -> ProviderApi | None:
    """The provider's API under the tenant's key, or None when no key is set."""
    if provider == lever.PROVIDER and (key := configured_key(settings.lever_api_key)):
        return ProviderApi("Lever", settings.lever_api_url, key, rate=settings.lever_api_rate)
    if provider == "harvest" and (creds := harvest_credentials(settings)) is not None:
        client_id, secret, user = creds
        name = "Greenhouse Harvest"
        return ProviderApi(
            name,
            settings.greenhouse_api_url,
            None,
            rate=settings.greenhouse_api_rate,
            auth=ClientCredentials(name, settings.greenhouse_token_url, client_id, secret, user),
        )
    if provider == ashby.PROVIDER and (key := configured_key(settings.ashby_api_key)):
        return ProviderApi("Ashby", settings.ashby_api_url, key, rate=settings.ashby_api_rate)
    return None


def harvest_credentials(settings: Settings) -> tuple[str, str, str | None] | None:
    """A Harvest v3 credential (client id, secret, the user id it acts as), or None unless both
    the id and the secret are set."""
    client_id = (settings.greenhouse_client_id or "").strip()
    secret = configured_key(settings.greenhouse_client_secret)
    if not client_id or secret is None:
        return None
    return client_id, secret, (settings.greenhouse_user_id or "").strip() or None


def configured_key(given: SecretStr | None) -> str | None:
    """A configured key; an empty one (compose's unset variables) counts as none."""
    value = given.get_secret_value().strip() if given is not None else ""
    return value or None


class AtsActivities:
    def __init__(
        self,
        store: Callable[[], AtsStore],
        holder: ClientHolder,
        settings: Settings,
        apis: dict[str, ProviderApi | None] | None = None,
    ) -> None:
        self._store = store
        self._holder = holder
        self._settings = settings
        # Keyed by provider for the single tenant, "<tenant>/<provider>" for a tenant's.
        self._apis = apis if apis is not None else {}

    def _settings_of(self, tenant: str | None) -> Settings:
        try:
            return tenants.settings_for(self._settings, tenant)
        except KeyError:
            raise NeedsOperator(f"tenant {tenant!r} is not in HEARDBACK_TENANTS_FILE") from None

    def _api(self, provider: str, tenant: str | None = None) -> ProviderApi | None:
        key = tenants.provider_key(tenant, provider)
        if key not in self._apis:
            self._apis[key] = api_of(self._settings_of(tenant), provider)
        return self._apis[key]

    def _harvest(self, tenant: str | None) -> ProviderApi:
        api = self._api("harvest", tenant)
        if api is None:
            raise ApplicationError(
                "no Greenhouse Harvest v3 credential is set", type="NotAllowed", non_retryable=True
            )
        return api

    async def _plan(self, ref: AtsEventRef, body: bytes) -> tuple[Plan, str]:
        """The event's plan, and the request id its commands carry."""
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            raise Unusable("the kept body is not an event")
        if ref.provider == ashby.PROVIDER:
            rid = ashby.request_id(event, ref.event_key)
        else:
            rid = ref.event_key[-40:]
        return await self._resolve(ref, event), rid

    async def _resolve(self, ref: AtsEventRef, event: dict[str, Any]) -> Plan:
        settings = self._settings_of(ref.tenant)
        as_written = settings.ats_rejection_reasons == "as_written"
        store = self._store()
        if ref.provider == lever.PROVIDER:
            api = self._api(lever.PROVIDER, ref.tenant)
            if api is None:
                where = (
                    "HEARDBACK_LEVER_API_KEY"
                    if ref.tenant is None
                    else f"lever_api_key in [tenants.{ref.tenant}]"
                )
                raise NeedsOperator(f"set {where}: Lever's events carry ids only")
            opp = lever.opportunity_of(event)
            linked = await asyncio.to_thread(
                store.candidacy_of_application,
                tenants.provider_key(ref.tenant, lever.PROVIDER),
                lever.candidate_id(opp),
            )
            return await lever.resolve(
                event,
                api,
                linked=linked,
                reasons_as_written=as_written,
                feedback_fields=ats_plan.fields_of(settings.lever_feedback_fields),
            )
        if ref.provider == ashby.PROVIDER:
            return await ashby.resolve(
                event,
                self._api(ashby.PROVIDER, ref.tenant),
                reasons_as_written=as_written,
                feedback_fields=ats_plan.fields_of(settings.ashby_feedback_fields),
            )
        raise NeedsOperator(f"no provider {ref.provider!r}")

    async def close(self) -> None:
        for api in self._apis.values():
            if api is not None:
                with contextlib.suppress(Exception):
                    await api.close()

    @activity.defn(name=ACTIVITY_PROCESS)
    async def process(self, ref: AtsEventRef) -> AtsEventOutcome:
        store = self._store()
        kept = await asyncio.to_thread(store.body, ref.event_key)
        if kept is None:
            return AtsEventOutcome(status="ignored", reason="the event is no longer kept")
        client = await self._holder.get()
        try:
            plan, rid = await self._plan(ref, await unseal(client, kept))
            tenant = Tenant(client, store, self._settings_of(ref.tenant), ref.provider, ref.tenant)
            done = await apply_plan(tenant, plan, rid, event_key=ref.event_key)
        except TryLater as err:
            raise ApplicationError(
                err.reason, type="TryLater", next_retry_delay=_delay(err.after)
            ) from None
        except Gone as err:
            done_status, reason = "ignored", err.reason
            await asyncio.to_thread(store.finish, ref.event_key, "ignored", reason)
            return AtsEventOutcome(status=done_status, reason=reason)
        except (NotAllowed, Unusable, NeedsOperator, ValueError) as err:
            kind = "Unusable" if isinstance(err, ValueError) else type(err).__name__
            raise ApplicationError(str(err), type=kind, non_retryable=True) from None
        await asyncio.to_thread(store.finish, ref.event_key, done.status, done.reason)  # type: ignore[arg-type]
        log.info(
            "provider_event",
            provider=ref.provider,
            action=plan.action,
            status=done.status,
            event_key=ref.event_key,
        )
        return AtsEventOutcome(status=done.status, reason=done.reason, workflow_id=done.workflow_id)

    @activity.defn(name=ACTIVITY_HARVEST)
    async def harvest_poll(self, window: HarvestWindow) -> HarvestPollResult:
        """Greenhouse's interviews and scorecards updated since the window's start, recorded on
        their candidacies (see heardback.gateway.harvest for what is taken, and what is not)."""
        try:
            settings = self._settings_of(window.tenant)
        except NeedsOperator as err:
            raise ApplicationError(str(err), type="NotAllowed", non_retryable=True) from None
        api = self._harvest(window.tenant)
        since = window.updated_after.isoformat().replace("+00:00", "Z")
        try:
            read = await harvest.read_v3(api, since)
        except (TryLater, NotAllowed) as err:
            raise _failed(err) from None
        questions = ats_plan.fields_of(settings.greenhouse_feedback_questions)
        found = harvest.rounds(read, questions)
        result = HarvestPollResult(not_ours=read.not_found)
        client = await self._holder.get()
        tenant = Tenant(client, self._store(), settings, "greenhouse_harvest", window.tenant)
        counts = Counter([await _apply_round(tenant, r) for r in found])
        result.interviews_recorded = counts["recorded"]
        result.feedback_submitted = counts["feedback"]
        result.unchanged = counts["unchanged"]
        result.refused = counts["refused"]
        result.not_ours += counts["not_ours"]
        log.info("harvest_polled", tenant=window.tenant, **result.model_dump())
        return result

    @activity.defn(name=ACTIVITY_NOTE)
    async def greenhouse_note(self, note: GreenhouseNoteInput) -> GreenhouseNoteResult:
        """A note on the candidate's Greenhouse activity feed for a delivered message. A retry
        first looks for the note an earlier attempt may have written (its body names the
        message id), so one message makes one note."""
        api = self._harvest(note.tenant)
        app = str(note.application_id)
        try:
            found = await api.get_list("applications", ids=app)
            if not found or not isinstance(found[0].get("candidate_id"), int):
                return GreenhouseNoteResult(outcome="application_gone")
            if activity.info().attempt > 1:
                notes = await api.get_list("notes", application_ids=app, per_page="500")
                if any(note.message_id in str(n.get("body") or "") for n in notes):
                    return GreenhouseNoteResult(outcome="already_there")
            made = await api.post("notes", harvest.note_of(note, found[0]["candidate_id"]))
        except Gone:
            return GreenhouseNoteResult(outcome="application_gone")
        except (TryLater, NotAllowed) as err:
            raise _failed(err) from None
        log.info("greenhouse_note_posted", tenant=note.tenant, kind=note.kind)
        made_id = made.get("id")
        return GreenhouseNoteResult(note_id=made_id if isinstance(made_id, int) else None)

    @activity.defn(name=ACTIVITY_DEAD_LETTER)
    async def dead_letter(self, req: AtsDeadLetter) -> AtsEventOutcome:
        await asyncio.to_thread(self._store().dead_letter, req.ref.event_key, req.reason)
        log.warning("webhook_dead_letter", provider=req.ref.provider, event_key=req.ref.event_key)
        return AtsEventOutcome(status="failed", reason=req.reason)


async def _apply_round(t: Tenant, r: harvest.Round) -> str:
    """Record one Harvest round on its candidacy; what became of it. A round heardback refuses
    (a line screening holds back, a candidacy already finished) is counted and left, so it never
    holds up the others; the reason is not logged (it can quote the line), it is told to the
    tenant's own system (`command.refused`, sealed with the candidacy's key)."""
    client = t.client
    command = "interview_completed"
    r = replace(r, role_id=t.role(r.role_id))
    try:
        st = await client.status(r.role_id, r.candidate_id)
        known = next((iv for iv in st.interviews if iv.interview_id == r.interview_id), None)
        if known is None:
            await client.record_interview(
                r.role_id,
                r.candidate_id,
                InterviewCompleted(
                    interview_id=r.interview_id,
                    stage=r.stage,
                    interviewer_email=r.interviewer_email,
                    duration=r.duration,
                    feedback=r.lines,
                    internal_notes=r.internal_notes,
                    via=Via(channel="webhook", actor="interviewer"),
                ),
            )
            return "recorded"
        if r.lines and known.feedback_lines == 0 and r.scorecard_key is not None:
            command = "submit_feedback"
            await client.submit_feedback(
                r.role_id,
                r.candidate_id,
                SubmitFeedback(
                    interview_id=r.interview_id,
                    feedback=r.lines,
                    internal_notes=r.internal_notes,
                    via=Via(channel="webhook", actor="interviewer"),
                ),
                request_id=f"harvest-{r.scorecard_key}",
            )
            return "feedback"
    except NotFound:
        return "not_ours"
    except (Refused, InvalidInput, ValidationError) as err:
        log.info("harvest_round_refused", interview_id=r.interview_id, role_id=r.role_id)
        reason = describe_errors(err) if isinstance(err, ValidationError) else err.reason
        await tell_refused(
            t,
            key=f"harvest-{r.interview_id}-{r.scorecard_key or 'round'}",
            workflow_id=contract.candidacy_workflow_id(r.role_id, r.candidate_id),
            command=command,
            reason=reason,
            extra={"interview_id": r.interview_id},
        )
        return "refused"
    return "unchanged"


def _failed(err: TryLater | NotAllowed) -> ApplicationError:
    """A provider's refusal as the activity's failure: retried after its Retry-After, or (a
    wrong credential, a missing permission) not at all."""
    if isinstance(err, TryLater):
        return ApplicationError(err.reason, type="TryLater", next_retry_delay=_delay(err.after))
    return ApplicationError(err.reason, type="NotAllowed", non_retryable=True)


def _delay(after: float | None) -> timedelta | None:
    """The provider's Retry-After as the next retry's delay (at most ten minutes)."""
    return None if after is None else timedelta(seconds=min(after, 600))


async def run_ats_worker(
    holder: ClientHolder,
    settings: Settings,
    store: Callable[[], AtsStore],
    *,
    stopping: asyncio.Event,
    connect_retry: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run the ATS worker until `stopping` is set (connecting when Temporal is up)."""
    delay = 1.0
    while not stopping.is_set():
        try:
            client = await holder.get()
            break
        except Exception:  # Temporal not up yet: the gateway's readiness says so meanwhile
            log.warning("ats_worker_waiting_for_temporal")
            await connect_retry(delay)
            delay = min(delay * 2, 30.0)
    else:
        return
    acts = AtsActivities(store, holder, settings)
    for tenant in harvest_tenants(settings):
        await ensure_harvest_schedule(client.temporal, settings, tenant)
    worker = Worker(
        client.temporal,
        task_queue=settings.ats_task_queue,
        workflows=[AtsEvent, HarvestPoll, GreenhouseNote],
        activities=[acts.process, acts.dead_letter, acts.harvest_poll, acts.greenhouse_note],
        workflow_runner=RUNNER,
        max_concurrent_activities=20,
    )
    async with worker:
        log.info("ats_worker_started", task_queue=settings.ats_task_queue)
        await stopping.wait()
    await acts.close()


def harvest_tenants(settings: Settings) -> list[str | None]:
    """Whose Harvest is read: the single tenant's (a global credential) and each tenant's with a
    credential of its own."""
    found: list[str | None] = []
    if harvest_credentials(settings) is not None:
        found.append(None)
    for tenant in tenants.load(settings).specs:
        if harvest_credentials(tenants.settings_for(settings, tenant)) is not None:
            found.append(tenant)
    return found


def needs_ats_worker(settings: Settings) -> bool:
    """Whether any tenant (or the single one) has events that need a provider's API."""
    everyone = [settings] + [
        tenants.settings_for(settings, t) for t in tenants.load(settings).specs
    ]
    return bool(harvest_tenants(settings)) or any(
        s.lever_webhook_secrets is not None or s.ashby_webhook_secrets is not None for s in everyone
    )


async def ensure_harvest_schedule(
    temporal: Client, settings: Settings, tenant: str | None = None
) -> None:
    """The schedule that reads a tenant's Greenhouse interviews and scorecards every
    `greenhouse_poll_interval` (created once; its interval follows the setting, an operator's
    pause is kept). A failure is logged: webhooks still work, and the next start retries."""
    every = settings.greenhouse_poll_interval
    sid = schedule_id(tenant)
    action = ScheduleActionStartWorkflow(
        HarvestPoll.run,
        HarvestPollInput(window=every * 2, tenant=tenant),
        id=sid,
        task_queue=settings.ats_task_queue,
    )
    try:
        done = await ensure_interval_schedule(temporal, sid, action, every)
    except Exception as err:
        log.warning("harvest_schedule_not_ensured", tenant=tenant, error=type(err).__name__)
        return
    log.info("harvest_schedule_ready", schedule_id=sid, action=done, every=str(every))
