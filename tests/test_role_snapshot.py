"""A Role's summary stays readable when the Role cannot answer: it keeps a snapshot of its
summary in its memo (at most a second behind), and `HeardbackClient.summary` answers from it
when the Role's own answer does not come in time, on the real dev server."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_worker, running
from heardback.workflows import contract
from heardback.workflows.models import Candidate
from tests.conftest import make_settings

ROLE = {"title": "Backend Engineer", "company": "Acme", "contact_email": "hiring@acme.example"}


async def memo_summary(hb: HeardbackClient, role_id: str) -> dict[str, Any] | None:
    desc = await hb.temporal.get_workflow_handle(contract.role_workflow_id(role_id)).describe()
    kept = await desc.memo_value(contract.MEMO_SUMMARY, None)
    return kept if isinstance(kept, dict) else None


async def test_the_summary_is_answered_from_the_snapshot_when_the_role_cannot_answer(
    devserver: tuple[WorkflowEnvironment, int], tmp_path: Path
) -> None:
    env, _ = devserver
    settings = make_settings(
        tmp_path, task_queue=f"snapshot-{uuid.uuid4().hex[:8]}", worker_build_id="test"
    )
    hb = HeardbackClient(env.client, task_queue=settings.task_queue)
    role_id = f"r-snap-{uuid.uuid4().hex[:8]}"
    started: list[str] = []
    async with running(build_worker(env.client, settings), env.client, settings):
        await env.client.start_workflow(
            contract.ROLE_WORKFLOW,
            {
                "role": {**ROLE, "id": role_id},
                "stages": ["application", "onsite"],
                "policy": {"quiet_hours": None},
            },
            id=contract.role_workflow_id(role_id),
            task_queue=settings.task_queue,
        )
        for cid in ("c-1", "c-2", "c-3"):
            started.append(
                await hb.add_candidate(
                    role_id, Candidate(id=cid, name=cid, email=f"{cid}@example.org")
                )
            )
        fresh = await hb.summary(role_id)
        assert not fresh.snapshot and fresh.as_of is None
        assert sum(fresh.by_state.values()) == 3
        # The memo catches up within the snapshot interval (a second), with no further event.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kept = await memo_summary(hb, role_id)
            if kept and sum(kept["summary"]["by_state"].values()) == 3:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"the snapshot did not catch up: {kept}")
    # No worker now: the Role cannot answer its query. The summary still comes, from the memo.
    t0 = time.monotonic()
    snap = await hb.summary(role_id, wait=timedelta(seconds=0.5))
    took = time.monotonic() - t0
    assert snap.snapshot and snap.as_of is not None
    assert snap.model_dump(exclude={"snapshot", "as_of"}) == fresh.model_dump(
        exclude={"snapshot", "as_of"}
    )
    assert took < 3, took
    for wf in [contract.role_workflow_id(role_id), *started]:
        await env.client.get_workflow_handle(wf).terminate("test over")
