"""`HeardbackClient`: the typed async Python client over heardback's public contract.

Every operation a backend needs, addressed by role id and candidate id (never by workflow id), with
errors as typed exceptions that carry the workflow's own reason::

    client = await HeardbackClient.connect("localhost:7233")
    await client.open_role(RoleInput(role=Role(id="r-1", ...)))
    await client.add_candidate("r-1", Candidate(id="c-1", name="Ada", email="ada@example.org"))
    await client.record_interview("r-1", "c-1", InterviewCompleted(...))
    try:
        await client.decide("r-1", "c-1", Decide(outcome="reject"))
    except Refused as err:
        print(err.reason)   # e.g. "feedback for interview i-1 is still missing ..."

Idempotency: starting a role or a candidacy twice finds the running one; adding a candidate twice
returns the same candidacy; an update sent with the same `request_id` is applied once (Temporal
deduplicates updates by id), so a backend can retry any call safely with the same request id.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from heardback.runtime.converter import data_converter as converter_for
from heardback.runtime.settings import get_settings
from heardback.runtime.temporal import execution_status, start_candidacy, start_role
from heardback.workflows import contract, errors, search
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import (
    Conflict,
    HeardbackError,
    InvalidInput,
    NotFound,
    Refused,
    Unavailable,
)
from heardback.workflows.models import (
    AddCandidate,
    Added,
    AdvanceCohort,
    CandidacyInput,
    Candidate,
    CloseRole,
    CohortResult,
    Decide,
    Erase,
    EraseRequest,
    EraseResult,
    InterviewCompleted,
    OfferUpdate,
    PageView,
    PauseRole,
    ResumeRole,
    RoleCommandResult,
    RoleDefinition,
    RoleInput,
    RoleSummary,
    Status,
    SubmitFeedback,
    UpdateResult,
    Withdraw,
)

# How long `summary` waits for the Role's own answer before it answers from the snapshot.
SUMMARY_WAIT = timedelta(seconds=0.5)
# ...and after how long it asks for the snapshot beside it (so the snapshot is at hand by then).
SUMMARY_HEDGE = timedelta(seconds=0.2)

T = TypeVar("T")
R = TypeVar("R")

# Answers a busy server gives that a retry fixes: too many updates in flight on the role (10 by
# default), a role whose workflow task timed out under load, a deadline.
RETRYABLE = {
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.FAILED_PRECONDITION,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.UNAVAILABLE,
}


def _deadline_passed(query: asyncio.Future[Any]) -> bool:
    """A query that failed with its deadline (or was cancelled): the snapshot answers instead;
    any other failure is the caller's."""
    err = query.exception()
    return isinstance(err, RPCError) and err.status in (
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
    )


# --- errors ------------------------------------------------------------------------------------


def _translate(err: BaseException, what: str) -> HeardbackError:
    """Map an SDK error to the client's typed errors, keeping the workflow's reason."""
    if isinstance(err, HeardbackError):
        return err
    if isinstance(err, ValidationError):
        return InvalidInput(describe_errors(err))
    cause: BaseException | None = err
    if isinstance(err, WorkflowUpdateFailedError | WorkflowFailureError):
        cause = err.cause
    if isinstance(cause, ApplicationError):
        if cause.type == errors.ERR_INVALID_PAYLOAD:
            return InvalidInput(cause.message)
        if cause.type == errors.ERR_REFUSED:
            return Refused(cause.message)
        return HeardbackError(f"{what}: {cause.message}")
    if isinstance(err, WorkflowAlreadyStartedError):
        return Conflict(f"{what} already exists and has finished; it cannot be started again")
    if isinstance(err, WorkflowUpdateRPCTimeoutOrCancelledError):
        return Unavailable(f"{what}: the server did not answer in time; retry with the same id")
    if isinstance(err, RPCError):
        if err.status == RPCStatusCode.NOT_FOUND:
            if "completed" in err.message or "closed" in err.message:
                return Refused(f"{what} has already finished")
            return NotFound(f"no {what}")
        if err.status in RETRYABLE:
            return Unavailable(f"{what}: {err.status.name} ({err.message}); retry")
        return HeardbackError(f"{what}: {err.status.name} ({err.message})")
    if isinstance(err, WorkflowQueryFailedError):
        return HeardbackError(f"{what}: {err.message}")
    if isinstance(err, ConnectionError | OSError):
        return Unavailable(f"Temporal unreachable: {err}")
    return HeardbackError(f"{what}: {type(err).__name__}: {err}")


# --- listings from visibility ------------------------------------------------------------------


class CandidacyListing(BaseModel):
    """One candidacy as the Temporal visibility store knows it (search attributes only)."""

    workflow_id: str
    role_id: str | None
    state: str | None
    stage: str | None
    next_deadline: datetime | None
    last_delivered_at: datetime | None
    hours_invested: float | None
    running: bool

    def overdue_by(self, now: datetime) -> timedelta | None:
        if self.next_deadline is None or self.next_deadline > now:
            return None
        return now - self.next_deadline


def _listing(workflow_id: str, attrs: TypedSearchAttributes, running: bool) -> CandidacyListing:
    return CandidacyListing(
        workflow_id=workflow_id,
        role_id=attrs.get(search.ROLE_ID),
        state=attrs.get(search.STATE),
        stage=attrs.get(search.STAGE),
        next_deadline=attrs.get(search.NEXT_DEADLINE),
        last_delivered_at=attrs.get(search.LAST_DELIVERED_AT),
        hours_invested=attrs.get(search.HOURS_INVESTED),
        running=running,
    )


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the client --------------------------------------------------------------------------------


class HeardbackClient:
    def __init__(self, client: Client, *, task_queue: str = contract.TASK_QUEUE) -> None:
        self.temporal = client
        self.task_queue = task_queue

    @classmethod
    async def connect(
        cls,
        address: str = "localhost:7233",
        *,
        namespace: str = "default",
        task_queue: str = contract.TASK_QUEUE,
        data_converter: DataConverter | None = None,
        **connect_args: Any,
    ) -> HeardbackClient:
        """Connect with the data converter every heardback process shares. By default it is the
        one the `HEARDBACK_*` settings describe: encrypting with the configured keys, refusing
        (ValueError) when there are none unless `HEARDBACK_ENCRYPTION=off`."""
        if data_converter is None:
            data_converter = converter_for(get_settings())
        try:
            client = await Client.connect(
                address, namespace=namespace, data_converter=data_converter, **connect_args
            )
        except Exception as err:
            raise Unavailable(f"cannot connect to Temporal at {address}: {err}") from err
        return cls(client, task_queue=task_queue)

    # -- handles --

    def _role(self, role_id: str) -> WorkflowHandle[Any, Any]:
        return self.temporal.get_workflow_handle(contract.role_workflow_id(role_id))

    def _candidacy(self, role_id: str, candidate_id: str) -> WorkflowHandle[Any, Any]:
        return self.temporal.get_workflow_handle(
            contract.candidacy_workflow_id(role_id, candidate_id)
        )

    async def _call(
        self, what: str, make: Callable[[], Awaitable[T]], *, workflow_id: str | None = None
    ) -> T:
        try:
            return await make()
        except Exception as err:
            translated = _translate(err, what)
            if isinstance(translated, NotFound) and workflow_id and await self._closed(workflow_id):
                # The server says "not found" to an update or signal for a closed workflow.
                translated = Refused(f"{what} has already finished")
            raise translated from err

    async def _closed(self, workflow_id: str) -> bool:
        try:
            status = await execution_status(self.temporal, workflow_id)
        except RPCError:
            return False
        return status != WorkflowExecutionStatus.RUNNING.value

    async def _update(
        self,
        handle: WorkflowHandle[Any, Any],
        name: str,
        arg: BaseModel,
        result_type: type[R],
        *,
        request_id: str | None = None,
        what: str | None = None,
    ) -> R:
        """The one call path of every update: typed result, typed errors."""

        async def run() -> R:
            result: R = await handle.execute_update(
                name, arg, id=request_id, result_type=result_type
            )
            return result

        return await self._call(what or f"workflow {handle.id}", run, workflow_id=handle.id)

    # -- roles --

    async def open_role(self, inp: RoleInput) -> str:
        """Open (or find) a role's workflow. Returns its workflow id."""
        if inp.carried_state is not None:
            raise InvalidInput("carried_state is set by heardback itself, never by clients")

        async def run() -> str:
            handle = await start_role(self.temporal, inp, task_queue=self.task_queue)
            return handle.id

        return await self._call(f"role {inp.role.id}", run)

    async def add_candidate(self, role_id: str, candidate: Candidate, *, attempts: int = 20) -> str:
        """Start the candidate's candidacy under an open role; returns its workflow id.

        Adding is idempotent, so the transient refusals of a busy server (a role takes 10
        updates in flight) are retried with backoff, up to `attempts` times."""
        cmd, delay = AddCandidate(candidate=candidate), 0.2
        for attempt in range(attempts):
            try:
                return await self._update(
                    self._role(role_id),
                    contract.UPDATE_ADD_CANDIDATE,
                    cmd,
                    str,
                    what=f"role {role_id}",
                )
            except Unavailable:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def add_candidates(
        self, role_id: str, candidates: Sequence[Candidate], *, concurrency: int = 50
    ) -> list[Added]:
        """Add many candidates to an open role at once (an ATS backfill): one answer each.

        The Role takes 10 updates in flight, so one `add_candidate` update per candidate runs
        at about 17 a second. Here the client reads the role's definition once (a query) and
        starts each candidacy itself (idempotent: a candidate already added keeps their
        candidacy, and hears nothing twice); each candidacy reports to its Role as it starts,
        the way a directly started one always does, so the Role learns of every one, and one
        that starts as the role closes or pauses is told like any late joiner. Each start
        input is sealed under that candidacy's own data key."""

        async def run() -> RoleDefinition:
            result: RoleDefinition = await self._role(role_id).query(
                contract.QUERY_DEFINITION, result_type=RoleDefinition
            )
            return result

        role = await self._call(f"role {role_id}", run)
        if role.status == "closed":
            raise Refused("the role is closed; it takes no new candidates")
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(c: Candidate) -> Added:
            async with gate:
                inp = CandidacyInput(role=role.role, candidate=c, policy=role.policy)
                try:
                    wf = await self.start_candidacy(inp)
                except (Refused, InvalidInput) as err:
                    return Added(candidate_id=c.id, refused=err.reason)
                return Added(candidate_id=c.id, workflow_id=wf)

        return list(await asyncio.gather(*(one(c) for c in candidates)))

    async def advance_cohort(
        self, role_id: str, cmd: AdvanceCohort, *, request_id: str | None = None
    ) -> CohortResult:
        return await self._update(
            self._role(role_id),
            contract.UPDATE_ADVANCE_COHORT,
            cmd,
            CohortResult,
            request_id=request_id,
            what=f"role {role_id}",
        )

    async def pause_role(
        self, role_id: str, cmd: PauseRole, *, request_id: str | None = None
    ) -> RoleCommandResult:
        return await self._update(
            self._role(role_id),
            contract.UPDATE_PAUSE,
            cmd,
            RoleCommandResult,
            request_id=request_id,
            what=f"role {role_id}",
        )

    async def resume_role(
        self, role_id: str, *, request_id: str | None = None
    ) -> RoleCommandResult:
        return await self._update(
            self._role(role_id),
            contract.UPDATE_RESUME,
            ResumeRole(),
            RoleCommandResult,
            request_id=request_id,
            what=f"role {role_id}",
        )

    async def close_role(
        self, role_id: str, cmd: CloseRole, *, request_id: str | None = None
    ) -> RoleCommandResult:
        return await self._update(
            self._role(role_id),
            contract.UPDATE_CLOSE,
            cmd,
            RoleCommandResult,
            request_id=request_id,
            what=f"role {role_id}",
        )

    async def summary(self, role_id: str, *, wait: timedelta | None = SUMMARY_WAIT) -> RoleSummary:
        """The role's summary: its `summary` query when the Role answers within `wait`, else
        the snapshot it keeps in its memo (at most a second old when it last ran; `snapshot`
        and `as_of` say so). A query is held while the Role has a workflow task outstanding,
        which during a large close can last seconds; DescribeWorkflowExecution, which reads the
        memo, needs no worker. `wait=None`: the query only, however long it takes; so does a
        Role that keeps no snapshot yet (one begun before 1.7, until it continues as new)."""
        handle = self._role(role_id)

        async def run() -> RoleSummary:
            if wait is None:
                answer: RoleSummary = await handle.query(
                    contract.QUERY_SUMMARY, result_type=RoleSummary
                )
                return answer
            return await self._summary_in_time(handle, wait)

        return await self._call(f"role {role_id}", run)

    async def _summary_in_time(
        self, handle: WorkflowHandle[Any, Any], wait: timedelta
    ) -> RoleSummary:
        """The query's answer if it comes within `wait`, else the memo's snapshot. The memo is
        asked for already after SUMMARY_HEDGE (a hedged read), so the snapshot is at hand when
        `wait` runs out; the whole call is bounded (the SDK itself retries a query whose
        deadline passed, for seconds)."""
        query = asyncio.ensure_future(handle.query(contract.QUERY_SUMMARY, result_type=RoleSummary))
        snapshot: asyncio.Future[RoleSummary | None] | None = None
        try:
            done, _ = await asyncio.wait({query}, timeout=min(SUMMARY_HEDGE, wait).total_seconds())
            if not done:
                snapshot = asyncio.ensure_future(self._snapshot(handle))
                rest = max(wait - SUMMARY_HEDGE, timedelta(0)).total_seconds()
                done, _ = await asyncio.wait({query}, timeout=rest)
            if query in done and not _deadline_passed(query):
                answered: RoleSummary = query.result()
                return answered
            snap = await snapshot if snapshot is not None else await self._snapshot(handle)
            if snap is not None:
                return snap
            # A Role from before 1.7 that has not run since keeps no snapshot: wait for it.
            late: RoleSummary = await (
                query
                if not query.done()
                else handle.query(contract.QUERY_SUMMARY, result_type=RoleSummary)
            )
            return late
        finally:
            for pending in (query, snapshot):
                if pending is None:
                    continue
                if not pending.done():
                    pending.cancel()
                elif not pending.cancelled():
                    pending.exception()  # read, so an unused failure is not reported as lost

    @staticmethod
    async def _snapshot(handle: WorkflowHandle[Any, Any]) -> RoleSummary | None:
        desc = await handle.describe()
        memo = await desc.memo_value(contract.MEMO_SUMMARY, None)
        if not isinstance(memo, dict) or not isinstance(memo.get("summary"), dict):
            return None
        return RoleSummary.model_validate(
            {**memo["summary"], "snapshot": True, "as_of": memo.get("as_of")}
        )

    # -- candidacies --

    async def start_candidacy(self, inp: CandidacyInput) -> str:
        """Start a candidacy directly (or find the running one). It reports to the role's
        workflow if one runs: the candidacy finds out for itself, from Temporal."""
        if inp.carried_state is not None:
            raise InvalidInput("carried_state is set by heardback itself, never by clients")
        workflow_id = contract.candidacy_workflow_id(inp.role.id, inp.candidate.id)

        async def run() -> str:
            await start_candidacy(self.temporal, inp, task_queue=self.task_queue)
            return workflow_id

        return await self._call(f"candidacy {workflow_id}", run)

    async def record_interview(
        self, role_id: str, candidate_id: str, ev: InterviewCompleted
    ) -> None:
        """Record a completed interview (a signal: fire and forget, validated here first)."""
        handle = self._candidacy(role_id, candidate_id)
        await self._call(
            f"candidacy {handle.id}",
            lambda: handle.signal(contract.SIGNAL_INTERVIEW_COMPLETED, ev),
            workflow_id=handle.id,
        )

    async def submit_feedback(
        self,
        role_id: str,
        candidate_id: str,
        cmd: SubmitFeedback,
        *,
        request_id: str | None = None,
    ) -> UpdateResult:
        handle = self._candidacy(role_id, candidate_id)
        return await self._update(
            handle,
            contract.UPDATE_SUBMIT_FEEDBACK,
            cmd,
            UpdateResult,
            request_id=request_id,
            what=f"candidacy {handle.id}",
        )

    async def decide(
        self, role_id: str, candidate_id: str, cmd: Decide, *, request_id: str | None = None
    ) -> UpdateResult:
        handle = self._candidacy(role_id, candidate_id)
        return await self._update(
            handle,
            contract.UPDATE_DECIDE,
            cmd,
            UpdateResult,
            request_id=request_id,
            what=f"candidacy {handle.id}",
        )

    async def withdraw(
        self, role_id: str, candidate_id: str, cmd: Withdraw, *, request_id: str | None = None
    ) -> UpdateResult:
        handle = self._candidacy(role_id, candidate_id)
        return await self._update(
            handle,
            contract.UPDATE_WITHDRAW,
            cmd,
            UpdateResult,
            request_id=request_id,
            what=f"candidacy {handle.id}",
        )

    async def offer_update(
        self, role_id: str, candidate_id: str, cmd: OfferUpdate, *, request_id: str | None = None
    ) -> UpdateResult:
        """The written offer went out (`details_sent`), or it was `accepted` or `declined`."""
        handle = self._candidacy(role_id, candidate_id)
        return await self._update(
            handle,
            contract.UPDATE_OFFER,
            cmd,
            UpdateResult,
            request_id=request_id,
            what=f"candidacy {handle.id}",
        )

    # -- by workflow id (the one-step pages and replies, whose signed links carry only that) --

    async def page_view(self, workflow_id: str) -> PageView:
        """What the one-step pages show of a candidacy, running or finished (carries personal
        data: for the pages only, never to be logged)."""
        handle = self.temporal.get_workflow_handle(workflow_id)

        async def run() -> PageView:
            view: PageView = await handle.query(contract.QUERY_PAGE_VIEW, result_type=PageView)
            return view

        return await self._call(f"candidacy {workflow_id}", run)

    async def update_candidacy(
        self,
        workflow_id: str,
        name: str,
        cmd: BaseModel,
        *,
        request_id: str | None = None,
    ) -> UpdateResult:
        """Send one of the candidacy updates (`contract.UPDATE_*`) by workflow id."""
        handle = self.temporal.get_workflow_handle(workflow_id)
        return await self._update(
            handle, name, cmd, UpdateResult, request_id=request_id, what=f"candidacy {workflow_id}"
        )

    async def erase(self, role_id: str, candidate_id: str) -> EraseResult:
        """Erase a candidate on their request: end the candidacy if it is open (no further mail;
        its role learns it has ended), then delete its outbox copies, its ledger rows and its
        workflow execution in Temporal. Erasing an already erased candidacy does nothing."""
        workflow_id = contract.candidacy_workflow_id(role_id, candidate_id)
        handle = self.temporal.get_workflow_handle(workflow_id)
        try:
            await self._update(handle, contract.UPDATE_ERASE, Erase(), UpdateResult)
        except Refused:
            pass  # already finished: nothing to end
        except NotFound:
            pass  # already gone from Temporal: the data on the worker is erased all the same

        async def run() -> EraseResult:
            result: EraseResult = await self.temporal.execute_workflow(
                contract.ERASE_WORKFLOW,
                EraseRequest(workflow_id=workflow_id),
                id=f"erase-{workflow_id}",
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                execution_timeout=timedelta(minutes=10),
                result_type=EraseResult,
            )
            return result

        return await self._call(f"erasure of {workflow_id}", run)

    async def status(self, role_id: str, candidate_id: str) -> Status:
        return await self.status_of(contract.candidacy_workflow_id(role_id, candidate_id))

    async def status_of(self, workflow_id: str) -> Status:
        """Where a candidacy stands, running or finished (a finished one answers from its
        result, without replaying)."""
        handle = self.temporal.get_workflow_handle(workflow_id, result_type=Status)

        async def run() -> Status:
            status = await execution_status(self.temporal, workflow_id)
            if status == WorkflowExecutionStatus.COMPLETED.value:
                done: Status = await handle.result()
                return done
            st: Status = await handle.query(contract.QUERY_STATUS, result_type=Status)
            return st

        return await self._call(f"candidacy {workflow_id}", run)

    # -- visibility --

    async def list_candidacies(
        self, *, role_id: str | None = None, running_only: bool = False, where: str = ""
    ) -> AsyncIterator[CandidacyListing]:
        """Candidacies from Temporal's visibility store (search attributes, no PII)."""
        clauses = [f"WorkflowType = {_quote(contract.CANDIDACY_WORKFLOW)}"]
        if role_id is not None:
            clauses.append(f"{search.ROLE_ID.name} = {_quote(role_id)}")
        if running_only:
            clauses.append("ExecutionStatus = 'Running'")
        if where:
            clauses.append(f"({where})")
        query = " AND ".join(clauses)
        try:
            async for wf in self.temporal.list_workflows(query):
                yield _listing(
                    wf.id,
                    wf.typed_search_attributes,
                    wf.status == WorkflowExecutionStatus.RUNNING,
                )
        except Exception as err:
            raise _translate(err, "visibility") from err

    async def overdue(
        self, *, within: timedelta = timedelta(0), role_id: str | None = None
    ) -> list[CandidacyListing]:
        """Running candidacies whose next obligation is late or due within `within`, most
        overdue first."""
        horizon = datetime.now(UTC) + within
        where = f"{search.NEXT_DEADLINE.name} <= {_quote(_ts(horizon))}"
        found = [
            c async for c in self.list_candidacies(role_id=role_id, running_only=True, where=where)
        ]
        return sorted(found, key=lambda c: c.next_deadline or horizon)
