"""An operator's one-query answers in the Temporal UI, on the real dev server's visibility store.

The queries here are the ones the README gives operators, word for word (times filled in)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_worker, running
from heardback.workflows import search
from heardback.workflows.models import CandidacyInput, InterviewCompleted, SubmitFeedback
from tests.conftest import make_settings

pytestmark = pytest.mark.devserver

# The README's queries.
NOT_HEARD_FROM_US = (
    "WorkflowType = 'Candidacy' AND ExecutionStatus = 'Running' "
    "AND HeardbackLastDeliveredAt < '{since}'"
)
FEEDBACK_OVERDUE = (
    "WorkflowType = 'Candidacy' AND ExecutionStatus = 'Running' "
    "AND HeardbackFeedbackOverdueSince < '{now}'"
)


def ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def hb(
    devserver: tuple[WorkflowEnvironment, int], tmp_path: Path
) -> AsyncIterator[HeardbackClient]:
    env, _ = devserver
    settings = make_settings(tmp_path, worker_build_id="test")
    async with running(build_worker(env.client, settings), env.client, settings):
        yield HeardbackClient(env.client, task_queue=settings.task_queue)


async def listed(client: Client, query: str, workflow_id: str, present: bool = True) -> None:
    for _ in range(100):  # visibility is eventually consistent
        ids = [wf.id async for wf in client.list_workflows(query)]
        if (workflow_id in ids) == present:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} {'not ' if present else ''}listed by: {query}")


async def test_overdue_feedback_and_silence_are_one_query_away(hb: HeardbackClient) -> None:
    role = f"r-{uuid.uuid4().hex[:6]}"
    inp = CandidacyInput.model_validate(
        {
            "role": {
                "id": role,
                "title": "SRE",
                "company": "Initech",
                "contact_email": "jobs@initech.example",
            },
            "candidate": {"id": "c-1", "name": "Linus T", "email": "lt@example.org"},
            "policy": {"feedback_due": "PT1S", "max_silence": "P7D", "decision_due": "P5D"},
        }
    )
    workflow_id = await hb.start_candidacy(inp)
    await hb.record_interview(
        role,
        "c-1",
        InterviewCompleted(
            interview_id="i-1",
            stage="onsite",
            interviewer_email="pm@initech.example",
            duration=timedelta(hours=2),
        ),
    )
    # Feedback falls due after a second; the interviewer is chased and the attribute is set.
    handle = hb.temporal.get_workflow_handle(workflow_id)
    for _ in range(100):
        attrs = (await handle.describe()).typed_search_attributes
        if attrs.get(search.FEEDBACK_OVERDUE_SINCE) is not None:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("HeardbackFeedbackOverdueSince never set")
    now = datetime.now(UTC) + timedelta(seconds=1)
    await listed(hb.temporal, FEEDBACK_OVERDUE.format(now=ts(now)), workflow_id)

    # Heard from us just now: not in "silent for 5 days", but in "silent since a minute from now".
    five_days_ago = datetime.now(UTC) - timedelta(days=5)
    await listed(
        hb.temporal,
        NOT_HEARD_FROM_US.format(since=ts(five_days_ago)),
        workflow_id,
        present=False,
    )
    soon = datetime.now(UTC) + timedelta(minutes=1)
    await listed(hb.temporal, NOT_HEARD_FROM_US.format(since=ts(soon)), workflow_id)

    # `heardback overdue` reads the same store: due within a day (the next chase).
    due = await hb.overdue(within=timedelta(days=1), role_id=role)
    assert [c.workflow_id for c in due] == [workflow_id]
    assert due[0].state == "active" and due[0].stage == "application"

    # Feedback arrives: the attribute clears and the candidacy leaves the list.
    await hb.submit_feedback(
        role,
        "c-1",
        SubmitFeedback(interview_id="i-1", feedback=["You stayed calm under time pressure."]),
    )
    await listed(hb.temporal, FEEDBACK_OVERDUE.format(now=ts(now)), workflow_id, present=False)
