"""Candidacy routes: start one without a role workflow, read its status, and the commands on it
(interviews, feedback, decisions, withdrawal); `/v1/overdue`, the operators' list of candidacies
due. Bearer-authenticated."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from heardback.gateway.bodies import Accepted, StartCandidacy, Started
from heardback.gateway.deps import AUTH, Hb, Scoped, update_id
from heardback.gateway.errors import ERRORS, ApiError
from heardback.starter.client import CandidacyListing
from heardback.workflows import contract
from heardback.workflows.models import (
    CandidacyInput,
    Decide,
    EraseResult,
    Id,
    InterviewCompleted,
    OfferUpdate,
    Status,
    SubmitFeedback,
    UpdateResult,
    Withdraw,
)

router = APIRouter(dependencies=[AUTH], responses=ERRORS)

CANDIDACY = "/v1/roles/{role_id}/candidates/{candidate_id}"


@router.post("/v1/candidacies", tags=["candidacies"], status_code=201, response_model=Started)
async def start_candidacy(body: StartCandidacy, c: Hb, who: Scoped) -> Started:
    """Start a candidacy without a role workflow (idempotent)."""
    role = body.role.model_copy(update={"id": who.role(body.role.id)})
    inp = CandidacyInput(role=role, candidate=body.candidate, policy=body.policy)
    return Started(workflow_id=await c.start_candidacy(inp))


@router.get(CANDIDACY, tags=["candidacies"], response_model=Status)
async def candidacy_status(role_id: Id, candidate_id: Id, c: Hb, who: Scoped) -> Status:
    """Where a candidacy stands: state, stage, next deadline, messages (no PII)."""
    found = await c.status(who.role(role_id), candidate_id)
    return found.model_copy(update={"role_id": who.out(found.role_id)})


@router.post(
    CANDIDACY + "/interviews", tags=["candidacies"], status_code=202, response_model=Accepted
)
async def record_interview(
    role_id: Id, candidate_id: Id, body: InterviewCompleted, c: Hb, who: Scoped
) -> Accepted:
    """Record a completed interview. Resending the same interview is harmless."""
    inside = who.role(role_id)
    await c.record_interview(inside, candidate_id, body)
    return Accepted(workflow_id=contract.candidacy_workflow_id(inside, candidate_id))


@router.post(CANDIDACY + "/feedback", tags=["candidacies"], response_model=UpdateResult)
async def submit_feedback(
    role_id: Id,
    candidate_id: Id,
    body: SubmitFeedback,
    *,
    c: Hb,
    who: Scoped,
    key: Annotated[str | None, update_id("feedback")],
) -> UpdateResult:
    """Candidate-facing feedback for an interview."""
    return await c.submit_feedback(who.role(role_id), candidate_id, body, request_id=key)


@router.post(CANDIDACY + "/decision", tags=["candidacies"], response_model=UpdateResult)
async def decide(
    role_id: Id,
    candidate_id: Id,
    body: Decide,
    *,
    c: Hb,
    who: Scoped,
    key: Annotated[str | None, update_id("decide")],
) -> UpdateResult:
    """Decide the current stage: advance, reject, hold or offer."""
    return await c.decide(who.role(role_id), candidate_id, body, request_id=key)


@router.post(CANDIDACY + "/withdrawal", tags=["candidacies"], response_model=UpdateResult)
async def withdraw(
    role_id: Id,
    candidate_id: Id,
    body: Withdraw,
    *,
    c: Hb,
    who: Scoped,
    key: Annotated[str | None, update_id("withdraw")],
) -> UpdateResult:
    """The candidate withdrew; they get a confirmation."""
    return await c.withdraw(who.role(role_id), candidate_id, body, request_id=key)


@router.post(CANDIDACY + "/offer", tags=["candidacies"], response_model=UpdateResult)
async def offer_update(
    role_id: Id,
    candidate_id: Id,
    body: OfferUpdate,
    *,
    c: Hb,
    who: Scoped,
    key: Annotated[str | None, update_id("offer")],
) -> UpdateResult:
    """After an offer: its written details went out (`details_sent`: heardback's promise "the
    details follow by ..." is kept), or it was `accepted` or `declined` (settled: the survey may
    follow)."""
    return await c.offer_update(who.role(role_id), candidate_id, body, request_id=key)


@router.delete(CANDIDACY, tags=["candidacies"], response_model=EraseResult)
async def erase(role_id: Id, candidate_id: Id, c: Hb, who: Scoped) -> EraseResult:
    """Erase a candidate on their request: the candidacy ends if it is open (no further mail),
    then its messages' copies, its ledger rows and its workflow history are deleted. Erasing
    again is harmless."""
    return await c.erase(who.role(role_id), candidate_id)


@router.get("/v1/overdue", tags=["operations"], response_model=list[CandidacyListing])
async def overdue(
    c: Hb,
    who: Scoped,
    within: Annotated[timedelta, Query(description="ISO 8601, e.g. P1D")] = timedelta(0),
    role_id: Annotated[Id | None, Query()] = None,
) -> list[CandidacyListing]:
    """Running candidacies whose next obligation is late or due within `within`."""
    if within < timedelta(0) or within > timedelta(days=365):
        raise ApiError(422, "invalid_input", "within must be between P0D and P365D")
    inside = None if role_id is None else who.role(role_id)
    found = await c.overdue(within=within, role_id=inside)
    # A tenant's list holds its own candidacies only (filtered here: visibility has no
    # prefix match on every store), with its own role ids.
    return [
        f.model_copy(update={"role_id": who.out(f.role_id) if f.role_id else f.role_id})
        for f in found
        if who.owns(f.role_id)
    ]
