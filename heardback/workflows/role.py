"""The `Role` workflow: one per role; tells everyone still waiting when the role changes.

It keeps a small registry of its candidacies (ids, state, stage; no names or emails), fed by the
`candidacy_changed` signal each Candidacy sends. Role-wide commands (close, pause, resume) are
queued as fan-out jobs and delivered to candidacies in batches by an activity that calls each
candidacy's update, a bounded number at a time. Each candidacy decides for itself whether the
command applies (an offer already made stays the only final message), so races between a close and
a decision still end with exactly one final message per candidate.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, VersioningBehavior
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from heardback.workflows import contract, errors, role_policy, search
    from heardback.workflows.decoding import decode as _decode
    from heardback.workflows.decoding import erased_subject
    from heardback.workflows.models import (
        AddCandidate,
        AdvanceCohort,
        CandidacyChanged,
        CandidacyCommand,
        CandidacyEntry,
        CandidacyInput,
        Candidate,
        CloseRole,
        CohortResult,
        CommandOutcome,
        Decide,
        FanOutRequest,
        FanOutResult,
        PauseRole,
        PendingFanOut,
        ResumeRole,
        RoleCommand,
        RoleCommandResult,
        RoleDefinition,
        RoleInput,
        RoleState,
        RoleSummary,
        StartCandidacyRequest,
    )

FAN_OUT_BATCH = 250
HISTORY_EVENTS_BEFORE_CONTINUE = 3_000
FAN_OUT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,
)


def _refuse(problem: str | None) -> None:
    if problem is not None:
        raise ApplicationError(problem, type=errors.ERR_REFUSED, non_retryable=True)


# 1.7: the Role keeps its summary in its memo (`_publish_snapshot`), so a reader need not wait
# for its workflow task. `workflow.patched` answers once per run: a run begun before 1.7 asks it
# while replaying (no marker: false) and keeps that answer, so it publishes from its next run
# (a Role continues as new every few thousand events).
PATCH_SUMMARY_MEMO = "role-summary-memo-1.7"
SNAPSHOT_EVERY = timedelta(seconds=1)


# AUTO_UPGRADE: a role stays open as long as it hires (months): like the Candidacy, it moves to
# each new build and changes through `workflow.patched`.
@workflow.defn(name=contract.ROLE_WORKFLOW, versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class RoleWorkflow:
    @workflow.init
    def __init__(self, raw: RawValue) -> None:
        self._wake = False
        self._published = search.Publisher()
        inp = _decode(raw, RoleInput)  # an unreadable role start fails loudly: nothing to keep
        expected = contract.role_workflow_id(inp.role.id)
        if inp.carried_state is None and workflow.info().workflow_id != expected:
            raise ApplicationError(
                f"workflow id must be {expected!r}", type=errors.ERR_INVALID_PAYLOAD
            )
        self._rs = inp.carried_state or RoleState(
            role=inp.role, stages=list(inp.stages), policy=inp.policy
        )
        self._counts = role_policy.Counts(self._rs)  # once; then kept up to date per event
        self._snapshot: RoleSummary | None = None  # the summary last put in the memo
        self._snapshot_at: datetime | None = None
        self._snapshot_timer: asyncio.Task[None] | None = None  # a change waiting its turn

    @workflow.run
    async def run(self, raw: RawValue) -> RoleSummary:
        rs = self._rs
        while True:
            now = workflow.now()
            if rs.status == "paused" and rs.paused_until and now >= rs.paused_until:
                rs.status = "open"
                rs.paused_until = None
            self._publish()
            if rs.jobs:
                await self._run_batch(rs.jobs[0])
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    RoleInput(role=rs.role, stages=rs.stages, policy=rs.policy, carried_state=rs)
                )
            if rs.jobs:
                continue
            self._wake = False
            if rs.status == "paused" and rs.paused_until is not None:
                # A timeout means the pause ran out: the next loop reopens the role.
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self._wake,
                        timeout=max(rs.paused_until - now, timedelta(seconds=1)),
                        timeout_summary="until the pause ends",
                    )
            else:
                await workflow.wait_condition(lambda: self._wake)

    def _publish(self) -> None:
        rs = self._rs
        if workflow.patched(PATCH_SUMMARY_MEMO):
            self._publish_snapshot()
        self._published.set(search.ROLE_ID, rs.role.id)
        self._published.set(search.STATE, rs.status)
        self._published.set(search.NEXT_DEADLINE, rs.paused_until)
        updates = self._published.take()
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(
            f"{rs.status}; {self._counts.open} open candidacies; "
            f"{len(rs.jobs)} role-wide commands pending"
        )

    def _publish_snapshot(self) -> None:
        """The summary, in the workflow's memo (`summary`), at most once every
        SNAPSHOT_EVERY: a reader that cannot wait for a busy Role's workflow task (a query is
        held while one is outstanding) reads it with DescribeWorkflowExecution, which no worker
        answers. A count that changes inside the interval is published when it ends; a new status
        or role-wide command at once."""
        snap = role_policy.summary(self._rs, self._counts)
        if snap == self._snapshot:
            return
        now = workflow.now()
        last = self._snapshot
        # A new status or a new role-wide command is published at once (a reader must not see
        # "open, nothing to send" after a close); counts moving are published once a second.
        urgent = (
            last is None
            or snap.status != last.status
            or (snap.fan_out_remaining > last.fan_out_remaining)
        )
        if (
            not urgent
            and self._snapshot_at is not None
            and now - self._snapshot_at < SNAPSHOT_EVERY
        ):
            self._snapshot_later(self._snapshot_at + SNAPSHOT_EVERY - now)
            return
        workflow.upsert_memo(
            {
                contract.MEMO_SUMMARY: {
                    "as_of": now.isoformat(),
                    "summary": snap.model_dump(mode="json"),
                }
            }
        )
        self._snapshot, self._snapshot_at = snap, now

    def _snapshot_later(self, wait: timedelta) -> None:
        """One timer for the change waiting on the interval (not one per wake: a busy Role
        wakes many times a second), which wakes the loop to publish it."""
        if self._snapshot_timer is not None and not self._snapshot_timer.done():
            return

        async def due() -> None:
            await workflow.sleep(max(wait, timedelta(milliseconds=100)), summary="summary snapshot")
            self._wake = True

        self._snapshot_timer = asyncio.create_task(due())

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > HISTORY_EVENTS_BEFORE_CONTINUE
        )

    async def _run_batch(self, job: PendingFanOut) -> None:
        rs = self._rs
        batch = job.remaining[:FAN_OUT_BATCH]
        await self._send(
            [
                RoleCommand(candidate_id=cid, update=job.update, command=job.command)
                for cid in batch
            ],
            key=job.job_id,
            summary=f"{job.update} to {len(batch)} candidacies",
        )
        del job.remaining[: len(batch)]
        self._counts.sent(batch)
        if not job.remaining and rs.jobs and rs.jobs[0] is job:
            rs.jobs.pop(0)

    async def _send(
        self, commands: list[RoleCommand], *, key: str, summary: str
    ) -> list[CommandOutcome]:
        """One fan-out activity for one batch; update ids derive from `key`, so a retried
        batch repeats nothing."""
        result: FanOutResult = await workflow.execute_activity(
            contract.ACTIVITY_SEND_TO_CANDIDACIES,
            FanOutRequest(
                role_id=self._rs.role.id,
                commands=commands,
                update_id_prefix=f"{workflow.info().workflow_id}-{key}",
            ),
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=15),
            retry_policy=FAN_OUT_RETRY,
            result_type=FanOutResult,
            summary=summary,
        )
        self._learn(result.outcomes)
        return result.outcomes

    def _learn(self, outcomes: list[CommandOutcome]) -> None:
        """Take a command's answer as news only when the candidacy's own report (the
        `candidacy_changed` signal, which is authoritative) has not already overtaken it."""
        for o in outcomes:
            entry = self._rs.candidacies.get(o.candidate_id)
            if entry is None or o.state is None or o.stage is None:
                continue
            if entry.state in role_policy.OPEN:
                role_policy.record_change(
                    self._rs,
                    CandidacyChanged(candidate_id=o.candidate_id, state=o.state, stage=o.stage),
                    self._counts,
                )

    def _enqueue_job(self, update: str, command: CandidacyCommand, ids: list[str]) -> None:
        rs = self._rs
        rs.seq += 1
        rs.jobs.append(
            PendingFanOut(job_id=f"{rs.seq}", update=update, command=command, remaining=ids)
        )
        self._counts.queued(ids)
        self._wake = True

    def _late_joiner(self, candidate_id: str) -> None:
        """A candidacy that appears after a role-wide command still gets it."""
        rs = self._rs
        if self._counts.pending[candidate_id]:
            return
        if rs.status == "closed" and rs.close_reason:
            self._enqueue_job(
                contract.UPDATE_ROLE_CLOSED, CloseRole(reason=rs.close_reason), [candidate_id]
            )
        elif rs.status == "paused" and rs.paused_until is not None:
            self._enqueue_job(
                contract.UPDATE_ROLE_PAUSED, PauseRole(until=rs.paused_until), [candidate_id]
            )

    # --- signals -----------------------------------------------------------------------------

    @workflow.signal(name=contract.SIGNAL_CANDIDACY_CHANGED)
    def candidacy_changed(self, raw: RawValue) -> None:
        try:
            change = CandidacyChanged.model_validate(
                workflow.payload_converter().from_payload(raw.payload)
            )
        except Exception:  # a malformed report must not wedge the role; log and carry on
            workflow.logger.warning("candidacy_changed payload refused")
            return
        known = change.candidate_id in self._rs.candidacies
        role_policy.record_change(self._rs, change, self._counts)
        if not known and change.state in role_policy.OPEN:
            self._late_joiner(change.candidate_id)
        self._wake = True

    # --- updates -----------------------------------------------------------------------------

    @workflow.update(name=contract.UPDATE_ADD_CANDIDATE)
    async def add_candidate(self, raw: RawValue) -> str:
        rs = self._rs
        erased = erased_subject(raw)
        if erased is not None:
            # Replaying a Role after this candidate was erased: their name and address are
            # unreadable now, on purpose; the same steps are taken with the id alone.
            cid = erased.removeprefix(contract.candidacy_workflow_id(rs.role.id, ""))
            cmd = AddCandidate.model_construct(
                candidate=Candidate.model_construct(id=cid, name="", email="")
            )
        else:
            cmd = _decode(raw, AddCandidate)
        inp = CandidacyInput(role=rs.role, candidate=cmd.candidate, policy=rs.policy)
        workflow_id: str = await workflow.execute_local_activity(
            contract.ACTIVITY_START_CANDIDACY,
            StartCandidacyRequest(input=inp, task_queue=workflow.info().task_queue),
            start_to_close_timeout=timedelta(seconds=30),
            result_type=str,
            summary="start candidacy",
        )
        if cmd.candidate.id not in rs.candidacies:
            self._counts.put(rs, cmd.candidate.id, CandidacyEntry())
            # Closed or paused while the candidacy was starting: it hears about it too.
            self._late_joiner(cmd.candidate.id)
        return workflow_id

    @add_candidate.validator
    def _validate_add_candidate(self, raw: RawValue) -> None:
        _decode(raw, AddCandidate)
        if self._rs.status == "closed":
            _refuse(f"the role is closed ({self._rs.close_reason}); it takes no new candidates")

    @workflow.update(name=contract.UPDATE_ADVANCE_COHORT)
    async def advance_cohort(self, raw: RawValue) -> CohortResult:
        cmd = _decode(raw, AdvanceCohort)
        rs = self._rs
        advance, others, not_here = role_policy.cohort_plan(rs, cmd)
        target = role_policy.next_stage(rs, cmd.stage)
        commands = [
            RoleCommand(
                candidate_id=cid,
                update=contract.UPDATE_DECIDE,
                command=Decide(
                    outcome="advance",
                    next_stage=target,
                    feedback=cmd.feedback,
                    override=cmd.override,
                    via=cmd.via,
                ),
            )
            for cid in advance
        ]
        other = Decide(
            outcome="reject" if cmd.others == "reject" else "hold",
            feedback=cmd.feedback,
            override=cmd.override,
            via=cmd.via,
        )
        commands += [
            RoleCommand(candidate_id=cid, update=contract.UPDATE_DECIDE, command=other)
            for cid in others
        ]
        rs.seq += 1
        result = CohortResult(
            refused=[
                CommandOutcome(
                    candidate_id=cid,
                    applied=False,
                    refused=f"not waiting at stage {cmd.stage!r}",
                )
                for cid in not_here
            ]
        )
        for start in range(0, len(commands), FAN_OUT_BATCH):
            outcomes = await self._send(
                commands[start : start + FAN_OUT_BATCH],
                key=f"cohort-{rs.seq}",
                summary=f"advance cohort at {cmd.stage}",
            )
            for o in outcomes:
                if not o.applied:
                    result.refused.append(o)
                elif o.candidate_id in advance:
                    result.advanced.append(o.candidate_id)
                elif cmd.others == "reject":
                    result.rejected.append(o.candidate_id)
                else:
                    result.held.append(o.candidate_id)
        return result

    @advance_cohort.validator
    def _validate_advance_cohort(self, raw: RawValue) -> None:
        _refuse(role_policy.validate_cohort(self._rs, _decode(raw, AdvanceCohort)))

    @workflow.update(name=contract.UPDATE_PAUSE)
    def pause(self, raw: RawValue) -> RoleCommandResult:
        cmd = _decode(raw, PauseRole)
        rs = self._rs
        rs.status = "paused"
        rs.paused_until = cmd.until
        ids = role_policy.open_ids(rs)
        self._enqueue_job(contract.UPDATE_ROLE_PAUSED, cmd, ids)
        return RoleCommandResult(status=rs.status, affected=len(ids))

    @pause.validator
    def _validate_pause(self, raw: RawValue) -> None:
        cmd = _decode(raw, PauseRole)
        if self._rs.status == "closed":
            _refuse(f"the role is closed ({self._rs.close_reason})")
        if cmd.until <= workflow.now():
            _refuse("until must be in the future")

    @workflow.update(name=contract.UPDATE_RESUME)
    def resume(self, raw: RawValue) -> RoleCommandResult:
        _decode(raw, ResumeRole)
        rs = self._rs
        if rs.status != "paused":
            return RoleCommandResult(status=rs.status, affected=0)
        rs.status = "open"
        rs.paused_until = None
        rs.jobs = [j for j in rs.jobs if j.update != contract.UPDATE_ROLE_PAUSED]
        self._counts = role_policy.Counts(rs)  # once per command, not per event
        ids = role_policy.open_ids(rs)
        self._enqueue_job(contract.UPDATE_ROLE_RESUMED, ResumeRole(), ids)
        return RoleCommandResult(status=rs.status, affected=len(ids))

    @resume.validator
    def _validate_resume(self, raw: RawValue) -> None:
        _decode(raw, ResumeRole)

    @workflow.update(name=contract.UPDATE_CLOSE)
    def close(self, raw: RawValue) -> RoleCommandResult:
        cmd = _decode(raw, CloseRole)
        rs = self._rs
        if rs.status == "closed":
            return RoleCommandResult(status=rs.status, affected=0)  # closing twice is harmless
        rs.status = "closed"
        rs.close_reason = cmd.reason
        rs.paused_until = None
        # Pending pause/resume deliveries no longer matter: the close supersedes them.
        rs.jobs = []
        self._counts.pending.clear()
        ids = role_policy.open_ids(rs)
        self._enqueue_job(contract.UPDATE_ROLE_CLOSED, cmd, ids)
        return RoleCommandResult(status=rs.status, affected=len(ids))

    @close.validator
    def _validate_close(self, raw: RawValue) -> None:
        _decode(raw, CloseRole)

    # --- queries -----------------------------------------------------------------------------

    @workflow.query(name=contract.QUERY_SUMMARY)
    def summary(self) -> RoleSummary:
        return role_policy.summary(self._rs, self._counts)

    # A query adds nothing to the history, so old histories replay unchanged without a patch.
    @workflow.query(name=contract.QUERY_DEFINITION)
    def definition(self) -> RoleDefinition:
        rs = self._rs
        return RoleDefinition(role=rs.role, policy=rs.policy, status=rs.status)
