"""Role routes (`/v1/roles...`): open a role, read its summary, add candidates, and the
role-wide commands (pause, resume, close, advance a cohort). Bearer-authenticated."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from heardback.gateway.bodies import OpenRole, Started
from heardback.gateway.deps import AUTH, Hb, Scoped, update_id
from heardback.gateway.errors import ERRORS
from heardback.workflows.models import (
    AddCandidate,
    AdvanceCohort,
    CloseRole,
    CohortResult,
    Id,
    PauseRole,
    RoleCommandResult,
    RoleInput,
    RoleSummary,
)

router = APIRouter(tags=["roles"], dependencies=[AUTH], responses=ERRORS)


@router.post("/v1/roles", status_code=201, response_model=Started)
async def open_role(body: OpenRole, c: Hb, who: Scoped) -> Started:
    """Open a role (idempotent: opening it again returns the running one)."""
    role = body.role.model_copy(update={"id": who.role(body.role.id)})
    wf = await c.open_role(RoleInput(role=role, stages=body.stages, policy=body.policy))
    return Started(workflow_id=wf)


@router.get("/v1/roles/{role_id}", response_model=RoleSummary)
async def role_summary(role_id: Id, c: Hb, who: Scoped) -> RoleSummary:
    """Counts by state, stage and outcome; messages still owed."""
    found = await c.summary(who.role(role_id))
    return found.model_copy(update={"role_id": who.out(found.role_id)})


@router.post("/v1/roles/{role_id}/candidates", status_code=201, response_model=Started)
async def add_candidate(role_id: Id, body: AddCandidate, c: Hb, who: Scoped) -> Started:
    """Add a candidate to an open role; they are acknowledged at once. Idempotent."""
    return Started(workflow_id=await c.add_candidate(who.role(role_id), body.candidate))


@router.post("/v1/roles/{role_id}/pause", response_model=RoleCommandResult)
async def pause_role(
    role_id: Id, body: PauseRole, c: Hb, who: Scoped, key: Annotated[str | None, update_id("pause")]
) -> RoleCommandResult:
    """Pause hiring: every open candidate is told why and until when."""
    return await c.pause_role(who.role(role_id), body, request_id=key)


@router.post("/v1/roles/{role_id}/resume", response_model=RoleCommandResult)
async def resume_role(
    role_id: Id, c: Hb, who: Scoped, key: Annotated[str | None, update_id("resume")]
) -> RoleCommandResult:
    """Resume a paused role."""
    return await c.resume_role(who.role(role_id), request_id=key)


@router.post("/v1/roles/{role_id}/close", response_model=RoleCommandResult)
async def close_role(
    role_id: Id, body: CloseRole, c: Hb, who: Scoped, key: Annotated[str | None, update_id("close")]
) -> RoleCommandResult:
    """Close the role (filled or cancelled): everyone still waiting is told."""
    return await c.close_role(who.role(role_id), body, request_id=key)


@router.post("/v1/roles/{role_id}/cohorts", response_model=CohortResult)
async def advance_cohort(
    role_id: Id,
    body: AdvanceCohort,
    c: Hb,
    who: Scoped,
    key: Annotated[str | None, update_id("cohort")],
) -> CohortResult:
    """Advance the named candidates; reject or hold the rest of the stage."""
    return await c.advance_cohort(who.role(role_id), body, request_id=key)
