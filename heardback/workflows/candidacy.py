"""The `Candidacy` workflow: one per candidate per role, alive until the candidate has heard all.

A thin loop around :mod:`workflows.policy`: apply an event or a deadline, let the courier deliver
what the policy queued (one message at a time, in order), and sleep until the next deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, VersioningBehavior
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from heardback.workflows import contract, errors, policy, search, views
    from heardback.workflows.decoding import decode as _decode
    from heardback.workflows.decoding import describe_errors
    from heardback.workflows.models import (
        CandidacyChanged,
        CandidacyInput,
        CandidacyState,
        CloseRole,
        Decide,
        DeliveryReceipt,
        DeliveryRequest,
        Erase,
        InterviewCompleted,
        OfferUpdate,
        OutboundEvent,
        OutgoingMessage,
        PageView,
        PauseRole,
        RejectedInput,
        ResumeRole,
        Status,
        SubmitFeedback,
        UpdateResult,
        Withdraw,
    )

# Delivery retries until the mail system takes the message: an outage delays, never loses.
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=[errors.ERR_UNDELIVERABLE, errors.ERR_MESSAGE_REFUSED],
)
# Longer than the SMTP timeout, short enough that a crashed worker's delivery is retried soon.
DELIVERY_TIMEOUT = timedelta(seconds=30)

# Continue-as-new well before Temporal's suggested point (4,096 events), at a quiet moment.
HISTORY_EVENTS_BEFORE_CONTINUE = 2_000


def _patches_followed() -> list[str]:
    """The patches this run follows. Asked one by one, every patch costs each new candidacy a
    marker and a `TemporalChangeVersion` upsert (a visibility write): four of each by 1.5
    (docs/PERFORMANCE.md). From 1.6 a new run asks one bundle patch, which stands for every patch
    listed with it, and records one marker. A run that began earlier has no bundle marker, so its
    patches are asked one by one in their old order, as its history answers them."""
    for bundle, covered in policy.PATCH_BUNDLES:
        if workflow.patched(bundle):
            return list(covered)
    return [p for p in policy.CURRENT_PATCHES if workflow.patched(p)]


def _refused_status(reason: str, now: datetime) -> Status:
    return Status(
        workflow_id=workflow.info().workflow_id,
        role_id="",
        candidate_id="",
        state="refused",
        stage="",
        outcome=None,
        hours_invested=0.0,
        next_deadline=None,
        last_delivered_at=None,
        hold_until=None,
        interviews=[],
        messages=[],
        rejected_inputs=[RejectedInput(source="start", received_at=now, reason=reason)],
    )


# AUTO_UPGRADE: a candidacy runs for weeks, longer than any worker build lives. Each workflow
# task runs on the deployment's current build, so a change to this code reaches running
# candidacies through `workflow.patched` -> `workflow.deprecate_patch` -> removal (README,
# "Changing workflow code"), each step replayed against recorded histories in the tests.
@workflow.defn(
    name=contract.CANDIDACY_WORKFLOW, versioning_behavior=VersioningBehavior.AUTO_UPGRADE
)
class Candidacy:
    @workflow.init
    def __init__(self, raw: RawValue) -> None:
        # State is built here, not in `run`: a signal or update that arrives together with the
        # start is handled before `run` begins, and must find the candidacy ready.
        self._wake = False
        self._published = search.Publisher()
        self._s: CandidacyState | None = None
        self._refused: Status | None = None
        now = workflow.now()
        try:
            inp = self._decode_input(raw)
        except ValueError as err:
            # A start payload we cannot read: nobody to write to, so refuse visibly and end.
            workflow.logger.error("candidacy start input refused: %s", err)
            self._refused = _refused_status(str(err), now)
            return
        # Start from the search attributes the starter set, so only changes are upserted.
        self._published.seed(workflow.info().typed_search_attributes)
        # The patches this run follows (asked once per run: a run that began before a patch
        # keeps the old behaviour until it continues as new).
        patched = _patches_followed()
        if inp.carried_state is not None:
            self._s = inp.carried_state
            self._s.patched = patched
        else:
            self._s = policy.new_state(inp, workflow.info().workflow_id, now)
            self._s.patched = patched
            policy.start(self._s, now)

    # --- run ---------------------------------------------------------------------------------

    @workflow.run
    async def run(self, raw: RawValue) -> Status:
        if self._s is None:
            assert self._refused is not None
            if workflow.info().typed_search_attributes.get(search.STATE) is not None:
                # Its starter said "active": say what it is instead.
                workflow.upsert_search_attributes([search.STATE.value_set("refused")])
            return self._refused
        s = self._s

        courier = asyncio.ensure_future(self._courier())
        while True:
            now = workflow.now()
            policy.tick(s, now)
            self._publish(s)
            await self._notify_role(s)
            if policy.is_complete(s):
                break
            if self._should_continue_as_new(s):
                courier.cancel()
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CandidacyInput(
                        role=s.role,
                        candidate=s.candidate,
                        policy=s.policy,
                        carried_state=s,
                    )
                )
            deadline = policy.next_deadline(s)
            self._wake = False
            # No timer while a message is on its way: its delivery wakes the loop, and whatever
            # a deadline does ends in a message, which would queue behind it anyway.
            if deadline is None or s.outbox:
                await workflow.wait_condition(lambda: self._wake)
                continue
            wait = deadline.due_at - now
            if wait <= timedelta(0):
                continue
            # A timeout means the deadline came: the next tick acts on it.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._wake,
                    timeout=wait,
                    timeout_summary=f"until {deadline.kind}",
                )
        courier.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        # The candidacy may have completed while the last report was on its way: report the end.
        self._publish(s)
        await self._notify_role(s)
        if policy.PATCH_EVENTS in s.patched:
            await self._announce_finished(s)
        return policy.status(s)

    async def _announce_finished(self, s: CandidacyState) -> None:
        """`candidacy.finished` for the tenant's own system (1.5). A local activity: it only
        starts the event's own workflow (which posts it, with retries), so a slow receiver never
        holds the candidacy open. Not announced after ten minutes of failing: logged, and the
        candidacy still completes (its result says how it ended)."""
        now = workflow.now()
        run = workflow.info().first_execution_run_id
        event = OutboundEvent(
            id=f"candidacy.finished:{s.workflow_id}.{run}",
            type="candidacy.finished",
            occurred_at=now,
            data={
                "workflow_id": s.workflow_id,
                "role_id": s.role.id,
                "candidate_id": s.candidate.id,
                "outcome": s.outcome,
                "stage": s.stage,
                "finished_at": now.isoformat(),
            },
        )
        try:
            await workflow.execute_local_activity(
                contract.ACTIVITY_ANNOUNCE_EVENT,
                event,
                start_to_close_timeout=timedelta(seconds=10),
                schedule_to_close_timeout=timedelta(minutes=10),
                result_type=bool,
                summary="announce candidacy.finished",
            )
        except ActivityError:
            workflow.logger.warning("candidacy.finished not announced", extra={"id": event.id})

    def _publish(self, s: CandidacyState) -> None:
        """Keep the operators' search attributes (and the UI's current details) up to date.

        They are published when the candidacy settles: nothing waiting to be delivered (or it is
        complete). Each upsert is a history event and a visibility write (about 5 ms of the dev
        server's CPU, the largest cost per workflow task), and a candidacy with a message on its
        way settles again milliseconds later, when it is delivered. The `status` query is always
        current."""
        deadline = policy.next_deadline(s)
        workflow.set_current_details(policy.describe(s, deadline))
        if s.outbox and not policy.is_complete(s):
            return
        updates = search.candidacy_values(
            self._published,
            role_id=s.role.id,
            state=s.state,
            stage=s.stage,
            next_deadline=deadline.due_at if deadline else None,
            last_delivered_at=s.last_delivered_at,
            hours_invested=policy.hours_invested(s),
            feedback_overdue_since=policy.feedback_overdue_since(s),
        )
        if updates:
            workflow.upsert_search_attributes(updates)

    async def _notify_role(self, s: CandidacyState) -> None:
        """Tell the role's workflow that this candidacy moved on.

        Whether there is one is Temporal's answer, not the starter's: the first report goes to
        `role-{role.id}`, and if no such workflow runs the signal fails once and the candidacy
        stops reporting (each attempt would cost history events)."""
        key = (s.state, s.stage)
        if s.notified == key or s.role_missing:
            return
        s.notified = key
        role = workflow.get_external_workflow_handle(contract.role_workflow_id(s.role.id))
        change = CandidacyChanged(
            candidate_id=s.candidate.id, state=s.state, stage=s.stage, outcome=s.outcome
        )
        try:
            await role.signal(contract.SIGNAL_CANDIDACY_CHANGED, change)
        except Exception as err:  # no Role workflow for this role: nobody to tell
            workflow.logger.debug("no role to notify (%s)", type(err).__name__)
            s.role_missing = True

    def _decode_input(self, raw: RawValue) -> CandidacyInput:
        try:
            data = workflow.payload_converter().from_payload(raw.payload)
        except Exception as err:
            raise ValueError(f"start input is not JSON: {type(err).__name__}") from err
        try:
            inp = CandidacyInput.model_validate(data)
        except ValidationError as err:
            raise ValueError(describe_errors(err)) from err
        expected = contract.candidacy_workflow_id(inp.role.id, inp.candidate.id)
        if inp.carried_state is None and workflow.info().workflow_id != expected:
            raise ValueError(
                f"workflow id must be {expected!r} (candidacy-{{role.id}}-{{candidate.id}})"
            )
        return inp

    def _should_continue_as_new(self, s: CandidacyState) -> bool:
        info = workflow.info()
        long = (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > HISTORY_EVENTS_BEFORE_CONTINUE
        )
        return long and not s.outbox

    async def _courier(self) -> None:
        """Deliver queued messages one at a time, in the order the policy queued them (a
        candidate message may wait for the end of their quiet hours; staff mail does not wait
        behind it). A message the mail system refuses is skipped, never waited on."""
        assert self._s is not None
        s = self._s
        while True:
            await workflow.wait_condition(lambda: bool(s.outbox))
            msg, wake = policy.next_to_send(s, workflow.now())
            why = policy.withheld(s, msg) if msg is not None else None
            if msg is not None and why is not None:
                # Recorded, never sent (no activity): the candidate may not be emailed, or the
                # ATS told them this outcome and there is nothing to add.
                policy.on_delivered(
                    s, msg.message_id, workflow.now(), withheld=True, withheld_why=why
                )
                self._wake = True
                continue
            if msg is None:
                assert wake is not None
                seq = s.seq
                # A new message may be sendable at once (staff mail, an acknowledgement).
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda seq=seq: s.seq != seq,  # type: ignore[misc]
                        timeout=wake - workflow.now(),
                        timeout_summary="until the candidate's quiet hours end",
                    )
                continue
            try:
                receipt = await workflow.execute_activity(
                    contract.ACTIVITY_DELIVER,
                    self._request(msg),
                    start_to_close_timeout=DELIVERY_TIMEOUT,
                    retry_policy=DELIVERY_RETRY,
                    result_type=DeliveryReceipt,
                    summary=f"deliver {msg.kind} to {msg.recipient}",
                )
            except ActivityError as err:
                cause = err.cause
                reason = cause.message if isinstance(cause, ApplicationError) else str(err)
                refused = isinstance(cause, ApplicationError) and (
                    cause.type == errors.ERR_MESSAGE_REFUSED
                )
                workflow.logger.warning(
                    "message refused" if refused else "message undeliverable",
                    extra={"message_id": msg.message_id, "kind": msg.kind},
                )
                policy.on_failed(s, msg.message_id, workflow.now(), reason, address=not refused)
            else:
                policy.on_delivered(s, msg.message_id, workflow.now(), skipped=receipt.skipped)
            self._wake = True

    def _request(self, msg: OutgoingMessage) -> DeliveryRequest:
        assert self._s is not None
        s = self._s
        return DeliveryRequest(
            message=msg,
            workflow_id=s.workflow_id,
            thread_root_id=policy.thread_root_id(s),
            reply_to=s.role.contact_email,
            erase_after=workflow.now() + s.policy.retention,
            references=policy.references(s, msg),
            once_per_address=(
                s.policy.survey_cooldown
                if msg.kind == "survey" and policy.PATCH_MAIL in s.patched
                else None
            ),
            role_id=s.role.id,
            candidate_id=s.candidate.id,
        )

    # --- signals -----------------------------------------------------------------------------

    @workflow.signal(name=contract.SIGNAL_INTERVIEW_COMPLETED)
    def interview_completed(self, raw: RawValue) -> None:
        """Accepted leniently: a malformed payload is kept as a rejected input, never dropped."""
        source = f"signal:{contract.SIGNAL_INTERVIEW_COMPLETED}"
        s = self._s
        if s is None:
            self._reject(source, "this candidacy refused its start input")
            return
        now = workflow.now()
        try:
            data = workflow.payload_converter().from_payload(raw.payload)
            ev = InterviewCompleted.model_validate(data)
        except ValidationError as err:
            self._reject(source, describe_errors(err))
            return
        except Exception as err:  # undecodable bytes: record and carry on
            self._reject(source, f"payload is not JSON: {type(err).__name__}")
            return
        problem = policy.validate_interview(s, ev)
        if problem is not None:
            self._reject(source, problem)
            return
        ev, held_back = policy.screen_interview(s, ev)
        if held_back is not None:
            self._reject(source, held_back)
        policy.record_interview(s, ev, now)
        self._wake = True

    @workflow.signal(dynamic=True)
    def unknown_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """A signal nobody handles (a typo in a backend?) is recorded, not silently lost."""
        self._reject(f"signal:{name}", f"unknown signal {name!r}; see the README for the contract")

    def _reject(self, source: str, reason: str) -> None:
        workflow.logger.warning("input rejected", extra={"source": source, "reason": reason})
        if self._s is not None:
            policy.reject_input(self._s, source, reason, workflow.now())
            self._wake = True
        elif self._refused is not None:
            self._refused.rejected_inputs.append(
                RejectedInput(source=source, received_at=workflow.now(), reason=reason)
            )

    # --- updates -----------------------------------------------------------------------------

    # Updates take the raw payload and decode it in the validator, so a malformed command is
    # refused with a message naming the field (the SDK's own decoding error names nothing), and
    # a refused update never reaches history.

    @workflow.update(name=contract.UPDATE_SUBMIT_FEEDBACK)
    def submit_feedback(self, raw: RawValue) -> UpdateResult:
        cmd = _decode(raw, SubmitFeedback)
        return self._accepted(policy.submit_feedback(self._state(), cmd, workflow.now()))

    @submit_feedback.validator
    def _validate_submit_feedback(self, raw: RawValue) -> None:
        cmd = _decode(raw, SubmitFeedback)
        self._refuse_if(policy.validate_feedback(self._state(), cmd))

    @workflow.update(name=contract.UPDATE_DECIDE)
    def decide(self, raw: RawValue) -> UpdateResult:
        cmd = _decode(raw, Decide)
        return self._accepted(policy.decide(self._state(), cmd, workflow.now()))

    @decide.validator
    def _validate_decide(self, raw: RawValue) -> None:
        cmd = _decode(raw, Decide)
        self._refuse_if(policy.validate_decision(self._state(), cmd, workflow.now()))

    @workflow.update(name=contract.UPDATE_WITHDRAW)
    def withdraw(self, raw: RawValue) -> UpdateResult:
        cmd = _decode(raw, Withdraw)
        return self._accepted(policy.withdraw(self._state(), cmd, workflow.now()))

    @withdraw.validator
    def _validate_withdraw(self, raw: RawValue) -> None:
        cmd = _decode(raw, Withdraw)
        self._refuse_if(policy.validate_withdraw(self._state(), cmd))

    @workflow.update(name=contract.UPDATE_OFFER)
    def offer_update(self, raw: RawValue) -> UpdateResult:
        cmd = _decode(raw, OfferUpdate)
        return self._accepted(policy.offer_update(self._state(), cmd, workflow.now()))

    @offer_update.validator
    def _validate_offer_update(self, raw: RawValue) -> None:
        cmd = _decode(raw, OfferUpdate)
        self._refuse_if(policy.validate_offer_update(self._state(), cmd))

    @workflow.update(name=contract.UPDATE_ERASE)
    def erase(self, raw: RawValue) -> UpdateResult:
        _decode(raw, Erase)
        return self._accepted(policy.erase(self._state(), workflow.now()))

    @erase.validator
    def _validate_erase(self, raw: RawValue) -> None:
        _decode(raw, Erase)
        self._state()

    # Role-wide commands: never refused for being late (a closed candidacy just answers
    # applied=false), so a role's fan-out can send them to everyone without special cases.

    @workflow.update(name=contract.UPDATE_ROLE_CLOSED)
    def role_closed(self, raw: RawValue) -> UpdateResult:
        cmd = _decode(raw, CloseRole)
        return self._role_result(policy.role_closed(self._state(), cmd, workflow.now()))

    @role_closed.validator
    def _validate_role_closed(self, raw: RawValue) -> None:
        _decode(raw, CloseRole)
        self._state()

    @workflow.update(name=contract.UPDATE_ROLE_PAUSED)
    def role_paused(self, raw: RawValue) -> UpdateResult:
        cmd = _decode(raw, PauseRole)
        return self._role_result(policy.role_paused(self._state(), cmd, workflow.now()))

    @role_paused.validator
    def _validate_role_paused(self, raw: RawValue) -> None:
        cmd = _decode(raw, PauseRole)
        self._state()
        if cmd.until <= workflow.now():
            raise ApplicationError(
                "until must be in the future", type=errors.ERR_REFUSED, non_retryable=True
            )

    @workflow.update(name=contract.UPDATE_ROLE_RESUMED)
    def role_resumed(self, raw: RawValue) -> UpdateResult:
        _decode(raw, ResumeRole)
        return self._role_result(policy.role_resumed(self._state(), workflow.now()))

    @role_resumed.validator
    def _validate_role_resumed(self, raw: RawValue) -> None:
        _decode(raw, ResumeRole)
        self._state()

    def _role_result(self, queued: list[str] | None) -> UpdateResult:
        result = self._accepted(queued or [])
        result.applied = queued is not None
        return result

    def _state(self) -> CandidacyState:
        if self._s is None:
            raise ApplicationError(
                "this candidacy refused its start input; see the status query",
                type=errors.ERR_REFUSED,
                non_retryable=True,
            )
        return self._s

    @staticmethod
    def _refuse_if(problem: str | None) -> None:
        if problem is not None:
            raise ApplicationError(problem, type=errors.ERR_REFUSED, non_retryable=True)

    def _accepted(self, queued: list[str]) -> UpdateResult:
        s = self._state()
        self._wake = True
        return UpdateResult(state=s.state, stage=s.stage, message_ids=queued)

    # --- queries -----------------------------------------------------------------------------

    @workflow.query(name=contract.QUERY_STATUS)
    def status(self) -> Status:
        if self._s is None:
            if self._refused is not None:
                return self._refused
            raise ApplicationError("candidacy not started yet", type=errors.ERR_NOT_STARTED)
        return policy.status(self._s)

    @workflow.query(name=contract.QUERY_PAGE_VIEW)
    def page_view(self) -> PageView:
        if self._s is None:
            raise ApplicationError("candidacy not started", type=errors.ERR_NOT_STARTED)
        return views.page_view(self._s)
