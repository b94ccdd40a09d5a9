"""The gateway's own request and response bodies (the rest are heardback's models)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from heardback.workflows.models import Candidate, Command, Policy, Role, Text


class OpenRole(Command):
    """Open a role: its candidates are added with `POST /v1/roles/{role_id}/candidates`."""

    role: Role
    stages: list[Text] = Field(
        default_factory=lambda: ["application", "screen", "technical", "onsite"],
        min_length=1,
        max_length=50,
    )
    policy: Policy = Field(default_factory=Policy)


class StartCandidacy(Command):
    """A candidacy without a Role workflow (role-wide close/pause then do not reach it)."""

    role: Role
    candidate: Candidate
    policy: Policy = Field(default_factory=Policy)


class Started(BaseModel):
    workflow_id: str


class Accepted(BaseModel):
    workflow_id: str
    accepted: bool = True
    note: str = (
        "interviews are checked by the candidacy as they arrive; a rejected one is listed in "
        "the status's rejected_inputs"
    )


class Health(BaseModel):
    status: str
    temporal: str | None = None
