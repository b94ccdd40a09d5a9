"""Record the replay fixtures: real workflows on the time-skipping server, their histories saved.

Each set: a candidacy's whole lifecycle (a malformed signal, feedback chased, a hold with its one
extension, a rejection, late feedback, the survey), a role's cohort advanced and the role paused
and filled (with its three candidacies), and a candidacy that continues as new (both runs).
From 1.1 the lifecycle's candidate reads German in Tokyo, the hold and the rejection carry written
reasons, the survey waits `survey_delay`, and the offer's details and acceptance are recorded.

`make record-history RELEASE=1.2` writes a new folder beside it, after a deliberate workflow
change made through `workflow.patched` (README, "Changing workflow code"). A folder once committed
is never re-recorded: it is what running workflows of that release look like, and CI replays
every folder against the current code.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from heardback.runtime.converter import DATA_CONVERTER
from heardback.runtime.settings import Settings
from heardback.runtime.temporal import run_and_exit
from heardback.starter.client import HeardbackClient
from heardback.worker.search_attributes import ensure_search_attributes
from heardback.worker.wiring import build_worker
from heardback.workflows.models import (
    CandidacyInput,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    SubmitFeedback,
    Via,
)

# One file per recorded workflow, named by its workflow id (replay needs the id: the workflow
# checks it). The folder name is the release whose code wrote the history.
HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "histories"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", default="1.0", help="the folder under tests/histories/")
    out_dir = HISTORIES / parser.parse_args().release
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
            worker_build_id=None,  # the time-skipping server has no Worker Deployments
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
                        "locale": "de",
                        "time_zone": "Asia/Tokyo",
                    },
                    "policy": {"quiet_hours": None},  # recordings must not depend on the hour
                }
            )
            hb = HeardbackClient(env.client, task_queue=settings.task_queue)
            h = env.client.get_workflow_handle(await hb.start_candidacy(inp))
            await h.signal("interview_completed", {"interview_id": "broken"})
            await hb.record_interview(
                "r-rec",
                "c-rec",
                InterviewCompleted(
                    interview_id="i-1",
                    stage="technical",
                    interviewer_email="bob@acme.example",
                    duration=timedelta(hours=1),
                    feedback=["You explained the trade-offs clearly."],
                ),
            )
            await hb.decide("r-rec", "c-rec", Decide(outcome="advance", next_stage="onsite"))
            await hb.record_interview(
                "r-rec",
                "c-rec",
                InterviewCompleted(
                    interview_id="i-2",
                    stage="onsite",
                    interviewer_email="eve@acme.example",
                    duration=timedelta(hours=3),
                    internal_notes="notes",
                    # From 1.2 screening holds this line back: the interviewer is reminded.
                    feedback=["Not a culture fit."],
                ),
            )
            await env.sleep(timedelta(days=3))  # reminder, escalation
            reasons = [
                "Die Rolle braucht mehr Erfahrung mit dem Betrieb verteilter Systeme unter Last, "
                "als Ihre Antworten gezeigt haben."
            ]
            await hb.decide("r-rec", "c-rec", Decide(outcome="hold", feedback=reasons))
            await env.sleep(timedelta(days=6))  # hold expires: one last extension
            await hb.decide("r-rec", "c-rec", Decide(outcome="reject", feedback=reasons))
            late = SubmitFeedback(
                interview_id="i-2",
                feedback=["You paired well with the interviewer."],
                internal_notes="written late, from the page",
                via=Via(channel="page", actor="interviewer", link="0" * 32),
            )
            await hb.submit_feedback("r-rec", "c-rec", late)
            # The survey waits survey_delay (from 1.1). A handle from get_workflow_handle does not
            # unlock time skipping while it waits for the result: skip explicitly.
            await env.sleep(timedelta(days=3))
            await h.result()
            histories = [await h.fetch_history()]
            histories += await record_role(env, settings.task_queue)
            histories += await record_continue_as_new(hb)
    await env.shutdown()
    out_dir.mkdir(parents=True, exist_ok=True)
    for history in histories:
        out = out_dir / f"{history.workflow_id}{history_suffix(history)}.json"
        out.write_text(history.to_json())
        print(f"wrote {out} ({len(history.events)} events)")
    return 0


def history_suffix(history: WorkflowHistory) -> str:
    """A run continued from another gets its own file, `<id>@continued.json` (ids have no @)."""
    started = history.events[0].workflow_execution_started_event_attributes
    return "@continued" if started.continued_execution_run_id else ""


async def record_continue_as_new(hb: HeardbackClient) -> list[WorkflowHistory]:
    """A candidacy flooded with malformed signals continues as new, carrying its state; the
    second run ends with an offer."""
    inp = CandidacyInput.model_validate(
        {
            "role": {
                "id": "r-can",
                "title": "Backend Engineer",
                "company": "Acme",
                "contact_email": "hiring@acme.example",
            },
            "candidate": {"id": "c-can", "name": "Dee Long", "email": "dee@example.org"},
            # Quiet hours off (from 1.7): a recording must not depend on the hour it runs at.
            "policy": {"quiet_hours": None},
        }
    )
    h = hb.temporal.get_workflow_handle(await hb.start_candidacy(inp))
    first_run = (await h.describe()).run_id
    for batch in range(25):  # 2,500 signals: past the 2,000 events at which it continues as new
        await asyncio.gather(
            *(
                h.signal("interview_completed", {"interview_id": f"x-{batch}-{i}"})
                for i in range(100)
            )
        )
    while (await h.describe()).run_id == first_run:  # noqa: ASYNC110 - polling the server
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    await hb.decide("r-can", "c-can", Decide(outcome="offer"))
    await hb.offer_update("r-can", "c-can", OfferUpdate(event="details_sent"))
    await hb.offer_update("r-can", "c-can", OfferUpdate(event="accepted"))
    await h.result()
    first = hb.temporal.get_workflow_handle(h.id, run_id=first_run)
    return [await first.fetch_history(), await h.fetch_history()]


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
            # Quiet hours off (from 1.7): a recording must not depend on the hour it runs at
            # (inside quiet hours the messages wait for the morning, and the run for them).
            "policy": {"quiet_hours": None},
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
            "feedback": ["We had many strong applications for this role."],
        },
    )
    await client.get_workflow_handle(ids[2]).execute_update("decide", {"outcome": "offer"})
    await client.get_workflow_handle(ids[2]).execute_update("offer_update", {"event": "accepted"})
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
