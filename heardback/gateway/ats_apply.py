"""Carrying out a provider event's plan (see heardback.gateway.greenhouse.plan) with heardback's
client. Each step is idempotent (updates carry a request id derived from the signed body), so a
retried event repeats nothing. A refusal (the effort rule, a candidate without an address) is an
answer, recorded; only an error of Temporal's raises, so the provider retries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import structlog
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload

from heardback.gateway.ats_plan import Plan
from heardback.gateway.ats_store import AtsStore
from heardback.runtime import events, tenants
from heardback.runtime.settings import Settings
from heardback.starter.client import HeardbackClient
from heardback.workflows import contract
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import InvalidInput, NotFound, Refused
from heardback.workflows.models import (
    Candidate,
    CloseRole,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    Policy,
    Role,
    RoleInput,
    SubmitFeedback,
    Via,
)


class NeedsOperator(Exception):
    """Our own processing cannot use this event (kept for an operator, with the reason)."""


log = structlog.get_logger("heardback.gateway")


@dataclass
class Applied:
    status: str  # processed | ignored | refused
    reason: str | None = None
    workflow_id: str | None = None
    step: str | None = None  # the command that was not processed


@dataclass
class Tenant:
    """Who applies the events: the client, the store, the tenant's settings, the provider, and
    the tenant (None: the single tenant) under whose prefix its ids are kept."""

    client: HeardbackClient
    store: AtsStore
    settings: Settings
    provider: str
    tenant: str | None = None

    @property
    def store_provider(self) -> str:
        """The provider as the store keys it (`acme/greenhouse`): tenants never share links."""
        return tenants.provider_key(self.tenant, self.provider)

    def role(self, role_id: str) -> str:
        """A provider-derived role id under the tenant's prefix (ids already under it, as the
        store hands them back, are kept)."""
        return (
            role_id if tenants.owns(self.tenant, role_id) else tenants.scoped(self.tenant, role_id)
        )


_SCOPED_ARGS = ("role_id", "application")


def scoped_plan(t: Tenant, plan: Plan) -> Plan:
    """The plan with its role ids (and the application keys built from them) under the
    tenant's prefix; unchanged for the single tenant."""
    if t.tenant is None:
        return plan
    steps = [
        (step, {k: t.role(v) if k in _SCOPED_ARGS and isinstance(v, str) else v
                for k, v in args.items()})
        for step, args in plan.steps
    ]  # fmt: skip
    application = None if plan.application is None else t.role(plan.application)
    return replace(plan, steps=steps, application=application)


async def seal(client: HeardbackClient, body: bytes) -> bytes:
    """A provider body as kept at rest: through the payload codec when encryption is on."""
    codec = client.temporal.data_converter.payload_codec
    payload = Payload(metadata={"encoding": b"binary/plain"}, data=body)
    if codec is not None:
        (payload,) = await codec.encode([payload])
    return payload.SerializeToString()


async def unseal(client: HeardbackClient, kept: bytes) -> bytes:
    codec = client.temporal.data_converter.payload_codec
    payload = Payload.FromString(kept)
    if codec is not None:
        (payload,) = await codec.decode([payload])
    return payload.data


async def apply_plan(
    t: Tenant, plan: Plan, request_id: str, *, event_key: str | None = None
) -> Applied:
    """Carry out a planned event, in the provider's order: an event older than one already
    applied to the same application is recorded and not applied (NeedsOperator propagates).
    A refused command is told to the tenant's own system (`command.refused`), as the provider
    that sent the event only ever hears 200."""
    if plan.handling == "ignore":
        return Applied("ignored", plan.reason)
    plan = scoped_plan(t, plan)
    if plan.application and plan.occurred_at:
        later = await asyncio.to_thread(t.store.newer_applied, plan.application, plan.occurred_at)
        if later is not None:
            return Applied(
                "ignored", f"older than an event already applied ({later.isoformat()}): not applied"
            )
    done = await apply_steps(t, plan.steps, request_id)
    if done.status == "processed" and plan.application and plan.occurred_at:
        await asyncio.to_thread(t.store.applied, plan.application, plan.occurred_at)
    if done.status == "refused":
        await tell_refused(
            t,
            key=request_id,
            workflow_id=done.workflow_id,
            command=done.step or "unknown",
            reason=done.reason or "",
            extra={"provider_event": event_key, "action": plan.action},
        )
    return done


async def tell_refused(
    t: Tenant,
    *,
    key: str,
    workflow_id: str | None,
    command: str,
    reason: str,
    extra: dict[str, Any],
) -> None:
    """`command.refused` for a command heardback refused on a provider's behalf (sealed with
    the candidacy's key: the reason can quote a line). Once per key, however often the event
    is retried."""
    data = {"source": t.provider, "workflow_id": workflow_id, "command": command, "reason": reason}
    event = events.make_event(
        t.settings,
        "command.refused",
        key,
        datetime.now(UTC),
        {**data, **extra},
        sealed_for=workflow_id,
        tenant=t.tenant,
    )
    await events.emit(t.client.temporal, t.settings, event)


async def apply_steps(
    t: Tenant, steps: list[tuple[str, dict[str, Any]]], request_id: str
) -> Applied:
    result = Applied(status="processed")
    for n, (step, args) in enumerate(steps):
        rid = f"{request_id}-{n}"
        try:
            outcome = await _step(t, step, args, rid)
        except NotFound as err:
            outcome = Applied("ignored", f"{err.reason} (not started in heardback)")
        except (Refused, InvalidInput) as err:
            outcome = Applied("refused", err.reason)
        except ValidationError as err:
            outcome = Applied("refused", describe_errors(err))
        if outcome.workflow_id:
            result.workflow_id = outcome.workflow_id
        if outcome.status == "processed" and outcome.reason:
            result.reason = outcome.reason  # e.g. a candidate who may not be emailed
        if outcome.status != "processed":
            target = result.workflow_id or _target(args)
            return Applied(outcome.status, outcome.reason, target, step)
    return result


def told(settings: Settings, kind: str) -> Literal["ats"] | None:
    """ "ats" when the tenant's ATS sends this outcome's message itself (HEARDBACK_ATS_SENDS)."""
    sent = {k.strip() for k in settings.ats_sends.split(",") if k.strip()}
    return "ats" if kind in sent else None


def _target(a: dict[str, Any]) -> str | None:
    """The candidacy a step is about, when its arguments name one."""
    if isinstance(a.get("role_id"), str) and isinstance(a.get("candidate_id"), str):
        return contract.candidacy_workflow_id(a["role_id"], a["candidate_id"])
    return None


async def _step(t: Tenant, step: str, a: dict[str, Any], rid: str) -> Applied:
    client, store, settings, provider = t.client, t.store, t.settings, t.store_provider
    if step == "open_role":
        company, contact = settings.default_company, settings.default_contact_email
        if not company or not contact:
            where = (
                "HEARDBACK_DEFAULT_COMPANY and HEARDBACK_DEFAULT_CONTACT_EMAIL"
                if t.tenant is None
                else f"company and contact_email in [tenants.{t.tenant}] of the tenants file"
            )
            raise NeedsOperator(
                f"a new job needs the tenant's defaults to open its role: set {where}, then retry"
            )
        await client.open_role(
            RoleInput(
                role=Role(
                    id=a["role_id"],
                    title=a["title"][:200],
                    company=company,
                    contact_email=contact,
                    locale=settings.default_locale,
                    time_zone=settings.default_time_zone,
                ),
                policy=Policy.model_validate(settings.default_policy),
            )
        )
        return Applied("processed")
    if step == "add_candidate":
        if not a["email"]:
            return Applied("refused", "the candidate has no email address in the ATS")
        wf = await client.add_candidate(
            a["role_id"],
            Candidate(
                id=a["candidate_id"],
                name=a["name"] or "there",
                email=a["email"],
                can_email=bool(a["can_email"]),
            ),
        )
        if a.get("external_candidate"):
            store.link(provider, a["external_candidate"], a["role_id"], a["candidate_id"])
        if a.get("application") and isinstance(a.get("stage"), str):
            store.visited(a["application"], a["stage"])
        if not a["can_email"]:
            return Applied(
                "processed",
                "the ATS says this candidate may not be emailed: the candidacy runs and sends "
                "them nothing (its status says candidate_mail off)",
                workflow_id=wf,
            )
        return Applied("processed", workflow_id=wf)
    wf_id = (
        contract.candidacy_workflow_id(a["role_id"], a["candidate_id"])
        if "role_id" in a and "candidate_id" in a
        else None
    )
    if step == "advance":
        st = await client.status(a["role_id"], a["candidate_id"])
        if st.stage == a["stage"]:
            return Applied("ignored", "the candidacy is already at that stage", wf_id)
        if any(s.stage == a["stage"] for s in st.stages) or store.was_at(
            a["application"], a["stage"]
        ):
            return Applied(
                "ignored",
                f"moved back to an earlier stage ({a['stage']!r}) in the ATS: not announced "
                "to the candidate as progress",
                wf_id,
            )
        await client.decide(
            a["role_id"],
            a["candidate_id"],
            Decide(outcome="advance", next_stage=a["stage"]),
            request_id=rid,
        )
        store.visited(a["application"], a["stage"])
        return Applied("processed", workflow_id=wf_id)
    if step == "reject":
        await client.decide(
            a["role_id"],
            a["candidate_id"],
            Decide(outcome="reject", feedback=a["feedback"], told_by=told(settings, "rejection")),
            request_id=rid,
        )
        return Applied("processed", workflow_id=wf_id)
    if step == "hired":
        st = await client.status(a["role_id"], a["candidate_id"])
        if not any(m.kind == "offer" for m in st.messages):
            # Hired without an offer heardback knew of: the offer is the candidate's outcome.
            await client.decide(
                a["role_id"],
                a["candidate_id"],
                Decide(outcome="offer", told_by=told(settings, "offer")),
                request_id=f"{rid}-o",
            )
        await client.offer_update(
            a["role_id"], a["candidate_id"], OfferUpdate(event="accepted"), request_id=rid
        )
        return Applied("processed", workflow_id=wf_id)
    if step == "offer":
        await client.offer_update(
            a["role_id"], a["candidate_id"], OfferUpdate(event=a["event"]), request_id=rid
        )
        return Applied("processed", workflow_id=wf_id)
    if step == "erase":
        await client.erase(a["role_id"], a["candidate_id"])
        store.unlink(provider, a["role_id"], a["candidate_id"])
        return Applied("processed", workflow_id=wf_id)
    if step in ("erase_application", "erase_candidate"):
        found = (
            store.candidacy_of_application(provider, a["candidate_id"])
            if step == "erase_application"
            else store.candidacies_of(provider, a["external_candidate"])
        )
        for role_id, candidate_id in found:
            await client.erase(role_id, candidate_id)
            store.unlink(provider, role_id, candidate_id)
        return Applied("processed")
    if step == "interviews":
        if not a.get("quiet"):
            return await _interviews(t, a)
        # Rounds read before a decision: whatever becomes of them, the decision goes on.
        try:
            await _interviews(t, a)
        except (NotFound, Refused, InvalidInput, ValidationError):
            log.info("rounds_before_decision_not_recorded", candidate_id=a["candidate_id"])
        return Applied("processed")
    if step == "relink":
        await asyncio.to_thread(store.relink, provider, a["from"], a["to"])
        return Applied("processed")
    if step == "close_role":
        await client.close_role(a["role_id"], CloseRole(reason="cancelled"), request_id=rid)
        return Applied("processed")
    raise NeedsOperator(f"unknown step {step!r}")


async def _interviews(t: Tenant, a: dict[str, Any]) -> Applied:
    """Rounds that took place in the ATS, recorded on the application's candidacy once each, at
    the candidacy's current stage (the ATS's interview carries no stage name), with the
    candidate-facing lines of the feedback submitted in the ATS where there are any; a round
    recorded before its feedback was submitted gets the lines once (`submit_feedback` under an
    update id per feedback version)."""
    role: str | None = a.get("role_id")
    if role is None:
        linked = await asyncio.to_thread(
            t.store.candidacy_of_application, t.store_provider, a["candidate_id"]
        )
        role = next((r for r, _ in linked), None)
    if role is None:
        return Applied("ignored", "no candidacy in heardback for this application")
    st = await t.client.status(role, a["candidate_id"])
    known = {iv.interview_id: iv for iv in st.interviews}
    changed = 0
    for r in a["rounds"]:
        lines: list[str] = r.get("feedback") or []
        notes: str | None = r.get("internal_notes")
        seen = known.get(r["interview_id"])
        if seen is None:
            await t.client.record_interview(
                role,
                a["candidate_id"],
                InterviewCompleted(
                    interview_id=r["interview_id"],
                    stage=st.stage,
                    interviewer_email=r["interviewer_email"],
                    duration=timedelta(seconds=r["seconds"]),
                    feedback=lines,
                    internal_notes=notes,
                    via=Via(channel="webhook", actor="interviewer"),
                ),
            )
            changed += 1
        elif lines and seen.feedback_lines == 0 and r.get("feedback_key"):
            await t.client.submit_feedback(
                role,
                a["candidate_id"],
                SubmitFeedback(
                    interview_id=r["interview_id"],
                    feedback=lines,
                    internal_notes=notes,
                    via=Via(channel="webhook", actor="interviewer"),
                ),
                request_id=f"{t.provider}-feedback-{r['feedback_key']}"[:200],
            )
            changed += 1
    wf = contract.candidacy_workflow_id(role, a["candidate_id"])
    if not changed:
        return Applied("ignored", "these interviews and their feedback are already recorded", wf)
    return Applied("processed", workflow_id=wf)
