"""Worker Versioning on the real dev server: a second worker build takes over running candidacies,
and a change made behind `workflow.patched` replays against the histories from before it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkerDeploymentRequest
from temporalio.client import WorkflowHistory
from temporalio.common import RawValue, VersioningBehavior
from temporalio.testing import WorkflowEnvironment

from heardback.starter.client import HeardbackClient
from heardback.worker.versioning import deployment_version, make_current
from heardback.worker.wiring import WORKFLOWS, build_replayer, build_worker
from heardback.workflows import contract
from heardback.workflows.candidacy import Candidacy
from heardback.workflows.models import (
    Decide,
    InterviewCompleted,
    OfferUpdate,
    Status,
    UpdateResult,
)
from heardback.workflows.retention import RetentionSweep
from heardback.workflows.role import RoleWorkflow
from tests.conftest import candidacy_input, dev_server_on, free_port, make_settings

pytestmark = pytest.mark.devserver

PATCH = "test-decision-noted"
HISTORIES_1_0 = sorted((Path(__file__).parent / "histories" / "1.0").glob("candidacy-*.json"))


@workflow.defn(
    name=contract.CANDIDACY_WORKFLOW, versioning_behavior=VersioningBehavior.AUTO_UPGRADE
)
class CandidacyNext(Candidacy):
    """Build 1.1 of the Candidacy: a change to running code, made the way the README says."""

    @workflow.run
    async def run(self, raw: RawValue) -> Status:
        return await super().run(raw)

    def _accepted(self, queued: list[str]) -> UpdateResult:
        result = super()._accepted(queued)
        if workflow.patched(PATCH):
            workflow.logger.info("decision noted by build 1.1")
        return result


NEXT = (CandidacyNext, RoleWorkflow, RetentionSweep)


def build_ids(history: WorkflowHistory) -> list[str]:
    return [
        e.workflow_task_completed_event_attributes.deployment_version.build_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]


def patch_markers(history: WorkflowHistory, patch: str = PATCH) -> int:
    """Temporal's patch markers for `patch` (the marker's details carry the patch id)."""
    return sum(
        e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
        and any(
            patch.encode() in p.data
            for d in e.marker_recorded_event_attributes.details.values()
            for p in d.payloads
        )
        for e in history.events
    )


async def replays(history: WorkflowHistory, workflows: Any) -> bool:
    replayer = build_replayer(workflows)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure is None


async def until(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached: {what}")
        await asyncio.sleep(0.1)


async def test_a_new_build_takes_over_a_running_candidacy_and_its_patch_replays(
    devserver: tuple[WorkflowEnvironment, int], tmp_path: Path
) -> None:
    env, _ = devserver
    deployment = f"heardback-{uuid.uuid4().hex[:6]}"
    old = make_settings(
        tmp_path, worker_deployment_name=deployment, worker_build_id="1.0", worker_set_current=False
    )
    new = old.model_copy(update={"worker_build_id": "1.1"})
    hb = HeardbackClient(env.client, task_queue=old.task_queue)
    inp = candidacy_input()
    role_id, candidate_id = inp.role.id, inp.candidate.id

    worker_old = build_worker(env.client, old)
    running_old = asyncio.ensure_future(worker_old.run())
    version_old = deployment_version(old)
    assert version_old is not None
    await make_current(env.client, version_old)

    handle = env.client.get_workflow_handle(await hb.start_candidacy(inp))

    async def status() -> Status:
        return await hb.status(role_id, candidate_id)

    await until(lambda: _delivered(status, 1), "the acknowledgement, delivered by build 1.0")
    await hb.record_interview(
        role_id,
        candidate_id,
        InterviewCompleted(
            interview_id="i-1",
            stage="technical",
            interviewer_email="bob@acme.example",
            duration=timedelta(hours=1),
            feedback=["You explained the trade-offs clearly."],
        ),
    )
    await until(lambda: _interviews(status), "the interview recorded by build 1.0")
    before = await handle.fetch_history()
    assert set(build_ids(before)) == {"1.0"}

    # Build 1.1 starts beside 1.0, is made current, and 1.0 is stopped: a rollout.
    worker_new = build_worker(env.client, new, workflows=NEXT)
    running_new = asyncio.ensure_future(worker_new.run())
    version_new = deployment_version(new)
    assert version_new is not None
    await make_current(env.client, version_new)
    await worker_old.shutdown()
    await running_old
    try:
        await hb.decide(role_id, candidate_id, Decide(outcome="offer"))
        await hb.offer_update(role_id, candidate_id, OfferUpdate(event="accepted"))
        final = await until(
            lambda: _completed(status), "the offer delivered and the candidacy complete"
        )
        assert [m.kind for m in final.messages] == ["acknowledgement", "offer"]
        after = await handle.fetch_history()
        info = (await handle.describe()).raw_description.workflow_execution_info
        assert info.versioning_info.deployment_version.build_id == "1.1"
        assert build_ids(after)[: len(build_ids(before))] == build_ids(before)
        assert "1.1" in build_ids(after)  # the running candidacy moved to the new build
        assert patch_markers(after) == 1  # and took the patched branch there
    finally:
        await worker_new.shutdown()
        await running_new

    # The patched code replays what 1.0 wrote, and what it wrote itself; 1.0's code cannot
    # replay 1.1's history (the patch marker): that is why the change went through a patch.
    assert await replays(before, NEXT)
    assert await replays(after, NEXT)
    assert not await replays(after, WORKFLOWS)


@pytest.mark.parametrize("path", HISTORIES_1_0, ids=lambda p: p.stem)
async def test_the_recorded_1_0_histories_replay_on_the_patched_build(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem.split("@")[0], path.read_text())
    assert await replays(history, NEXT)


async def _delivered(status: Any, count: int) -> bool:
    st: Status = await status()
    return sum(m.status == "delivered" for m in st.messages) >= count


async def _interviews(status: Any) -> bool:
    return bool((await status()).interviews)


async def _completed(status: Any) -> Status | None:
    st: Status = await status()
    return st if st.state == "completed" else None


@pytest.mark.devserver
async def test_a_worker_starting_beside_a_restarting_server_waits_for_it(tmp_path: Path) -> None:
    """A worker makes its build current at start. If the server goes away meanwhile (restarted
    by its operator), the worker waits for it to come back instead of exiting."""
    port, db = free_port(), tmp_path / "temporal.db"

    env = await dev_server_on(port, db)
    client = env.client
    settings = make_settings(
        tmp_path,
        worker_deployment_name=f"restart-{uuid.uuid4().hex[:6]}",
        worker_build_id="1.0",
        worker_set_current=False,
    )
    version = deployment_version(settings)
    assert version is not None
    await env.shutdown()  # gone while the worker starts
    current = asyncio.ensure_future(make_current(client, version, within=60))
    await asyncio.sleep(2.0)
    assert not current.done(), current  # still waiting, not failed
    env = await dev_server_on(port, db)
    worker = build_worker(client, settings)
    polling = asyncio.ensure_future(worker.run())
    try:
        await asyncio.wait_for(current, timeout=45)
        described = await client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(
                namespace=client.namespace, deployment_name=version.deployment_name
            )
        )
        routing = described.worker_deployment_info.routing_config
        assert routing.current_deployment_version.build_id == version.build_id
    finally:
        await worker.shutdown()
        await polling
        await env.shutdown()
