"""Record the replay fixture: run a full candidacy on the time-skipping server and save its history.

Run with `make record-history` only when a workflow change is deliberate and goes through
`workflow.patched` (see the README's "Changing workflow code" section); the committed histories
are what running candidacies look like, and CI replays them against the current code.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from starter import candidacy as api
from worker.search_attributes import ensure_search_attributes
from worker.settings import Settings
from worker.wiring import DATA_CONVERTER, build_worker, run_and_exit
from workflows.models import (
    CandidacyInput,
    Decide,
    InterviewCompleted,
    SubmitFeedback,
)

# One file per recorded workflow, named by its workflow id (replay needs the id: the workflow
# checks it). The folder name is the release whose code wrote the history.
OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "histories" / "v4"


async def main() -> int:
    bin_dir = Path(sys.executable).parent
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(bin_dir / "temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    await ensure_search_attributes(env.client)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            task_queue="record-history",
            outbox_dir=Path(tmp) / "outbox",
            ledger_path=Path(tmp) / "ledger.sqlite3",
        )
        async with build_worker(env.client, settings):
            inp = CandidacyInput.model_validate(
                {
                    "role": {
                        "id": "r-rec",
                        "title": "Backend Engineer",
                        "company": "Acme",
                        "contact_email": "hiring@acme.example",
                        "survey_url": "https://acme.example/survey",
                    },
                    "candidate": {
                        "id": "c-rec",
                        "name": "Ada Lovelace",
                        "email": "ada@example.org",
                    },
                }
            )
            h = await api.start_candidacy(env.client, inp, task_queue=settings.task_queue)
            await h.signal("interview_completed", {"interview_id": "broken"})
            await api.interview_completed(
                h,
                InterviewCompleted(
                    interview_id="i-1",
                    stage="technical",
                    interviewer_email="bob@acme.example",
                    duration=timedelta(hours=1),
                    feedback=["Clear trade-offs."],
                ),
            )
            await api.decide(h, Decide(outcome="advance", next_stage="onsite"))
            await api.interview_completed(
                h,
                InterviewCompleted(
                    interview_id="i-2",
                    stage="onsite",
                    interviewer_email="eve@acme.example",
                    duration=timedelta(hours=3),
                    internal_notes="notes",
                ),
            )
            await env.sleep(timedelta(days=3))  # reminder, escalation
            await api.decide(h, Decide(outcome="hold"))
            await env.sleep(timedelta(days=6))  # hold expires: one last extension
            await api.decide(h, Decide(outcome="reject", feedback=["More depth needed."]))
            await api.submit_feedback(
                h, SubmitFeedback(interview_id="i-2", feedback=["Good pairing."])
            )
            await h.result()
            histories = [await h.fetch_history()]
            histories += await record_role(env, settings.task_queue)
    await env.shutdown()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for history in histories:
        out = OUT_DIR / f"{history.workflow_id}.json"
        out.write_text(history.to_json())
        print(f"wrote {out} ({len(history.events)} events)")
    return 0


async def record_role(env: WorkflowEnvironment, task_queue: str) -> list[WorkflowHistory]:
    """A role: two candidates added, a cohort advanced with the other rejected, then filled."""
    client = env.client
    role = await client.start_workflow(
        "Role",
        {
            "role": {
                "id": "r-role",
                "title": "SRE",
                "company": "Acme",
                "contact_email": "hiring@acme.example",
            },
            "stages": ["application", "onsite"],
        },
        id="role-r-role",
        task_queue=task_queue,
    )
    ids = [
        await role.execute_update(
            "add_candidate",
            {"candidate": {"id": cid, "name": f"Person {cid}", "email": f"{cid}@example.org"}},
            result_type=str,
        )
        for cid in ("c-a", "c-b", "c-c")
    ]
    await asyncio.sleep(1)
    await role.execute_update(
        "advance_cohort",
        {
            "stage": "application",
            "advanced": ["c-a", "c-c"],
            "others": "reject",
            "feedback": ["Many strong applications."],
        },
    )
    await client.get_workflow_handle(ids[2]).execute_update("decide", {"outcome": "offer"})
    await role.execute_update("pause", {"until": "2099-01-01T00:00:00Z"})
    await role.execute_update("close", {"reason": "filled"})
    for wf_id in ids:
        await client.get_workflow_handle(wf_id).result()
    await asyncio.sleep(1)
    out = [await client.get_workflow_handle(wf_id).fetch_history() for wf_id in ids]
    await role.terminate(reason="recorded")
    out.append(await role.fetch_history())
    return out


if __name__ == "__main__":
    run_and_exit(main)
