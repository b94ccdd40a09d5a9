"""End to end on the real Temporal dev server, a real worker process and a real SMTP server.

The policy is compressed into seconds, so these run in real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from heardback.activities.mime import opaque_message_id
from heardback.starter.client import HeardbackClient
from heardback.workflows import contract
from heardback.workflows.models import (
    FINAL_KINDS,
    CandidacyInput,
    Candidate,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    Status,
    SubmitFeedback,
    Withdraw,
)
from tests.conftest import SmtpSink, read_outbox

pytestmark = pytest.mark.devserver

POLICY = {
    "max_silence": "PT6S",
    "decision_due": "PT4S",
    "feedback_due": "PT2S",
    "hold_max": "PT10S",
    "effort_threshold": "PT2H",
    "feedback_wait_max": "PT20S",
    "survey_delay": "PT2S",
    "offer_details_due": "PT4S",
}


def inp(role_id: str, cid: str, name: str, survey: bool = False) -> CandidacyInput:
    return CandidacyInput.model_validate(
        {
            "role": {
                "id": role_id,
                "title": "Data Engineer",
                "company": "Globex",
                "contact_email": "talent@globex.example",
                "survey_url": "https://globex.example/survey" if survey else None,
            },
            "candidate": {"id": cid, "name": name, "email": f"{cid}@example.org"},
            "policy": POLICY,
        }
    )


async def start(hb: HeardbackClient, candidacy: CandidacyInput) -> WorkflowHandle[Any, Any]:
    """Start a candidacy through the client; its handle, to wait for its result."""
    return hb.temporal.get_workflow_handle(await hb.start_candidacy(candidacy))


async def wait_done(handle: WorkflowHandle[Any, Any], timeout: float = 60) -> Status:
    return Status.model_validate(await asyncio.wait_for(handle.result(), timeout))


async def test_a_hiring_round_end_to_end_over_smtp_every_message_exactly_once(
    devserver: tuple[WorkflowEnvironment, int], smtp: SmtpSink, worker_factory: Any
) -> None:
    env, _ = devserver
    client: Client = env.client
    worker = worker_factory()
    role = f"r-{uuid.uuid4().hex[:6]}"
    hb = HeardbackClient(client, task_queue=worker.task_queue)

    # The mail server is down when the first acknowledgements are due.
    smtp.stop()
    ada = await start(hb, inp(role, "c-1", "Ada Lovelace", survey=True))
    bob = await start(hb, inp(role, "c-2", "Bob Moses"))
    cy = await start(hb, inp(role, "c-3", "Cy Young"))
    await asyncio.sleep(3)
    assert (await hb.status(role, "c-1")).last_delivered_at is None  # intent is not delivery
    smtp.start()
    back_up = datetime.now(UTC)

    await hb.record_interview(
        role,
        "c-1",
        InterviewCompleted(
            interview_id="i-1",
            stage="technical",
            interviewer_email="ivy@globex.example",
            duration=timedelta(hours=2, minutes=30),
            internal_notes="private: borderline",
        ),
    )
    await hb.withdraw(role, "c-3", Withdraw(reason="relocating"))
    await asyncio.sleep(3)  # feedback_due passes: reminder, then escalation
    await hb.decide(
        role,
        "c-1",
        Decide(
            outcome="reject",
            feedback=["We needed someone with more Spark in production than you could show us."],
        ),
    )
    await asyncio.sleep(2)
    await hb.submit_feedback(
        role, "c-1", SubmitFeedback(interview_id="i-1", feedback=["Your SQL was excellent."])
    )
    await asyncio.sleep(3)  # Bob's decision is overdue by now
    await hb.decide(role, "c-2", Decide(outcome="offer"))
    await hb.offer_update(role, "c-2", OfferUpdate(event="details_sent"))
    await hb.offer_update(role, "c-2", OfferUpdate(event="accepted"))

    results = [await wait_done(h) for h in (ada, bob, cy)]
    assert [r.outcome for r in results] == ["rejected", "offer", "withdrawn"]

    # Every message delivered exactly once, by its stable Message-ID.
    ids = smtp.handler.ids()
    assert len(ids) == len(set(ids))
    recorded = [m for r in results for m in r.messages]
    assert all(m.status == "delivered" for m in recorded)
    assert sorted(ids) == sorted(
        opaque_message_id(m.message_id, "heardback.localhost") for m in recorded
    )

    # The silence clock counted delivery: the first delivery came after the server came back.
    first = results[0].messages[0]
    assert first.delivered_at is not None and first.delivered_at >= back_up - timedelta(seconds=1)

    for r in results:
        candidate = [m for m in r.messages if m.recipient == "candidate"]
        assert sum(m.kind in FINAL_KINDS for m in candidate) == 1
        times = [m.delivered_at for m in candidate if m.delivered_at is not None]
        for earlier, later in itertools.pairwise(times):
            assert later - earlier <= timedelta(seconds=6 + 2)  # max_silence + delivery latency
    ada_kinds = [m.kind for m in results[0].messages]
    assert ada_kinds.index("feedback_reminder") < ada_kinds.index("escalation")
    assert [m.kind for m in results[0].messages if m.recipient == "candidate"][-2:] == [
        "feedback_update",
        "survey",
    ]
    assert "delay_explanation" in [m.kind for m in results[1].messages]
    assert not any(b"private: borderline" in m.as_bytes() for m in smtp.handler.received)

    assert worker.stop(signal.SIGTERM) == 0
    log = worker.log.read_text()
    assert "worker_stopped" in log
    assert "Ada Lovelace" not in log and "@example.org" not in log  # no PII in logs


async def test_a_deadline_that_falls_during_a_mail_outage_waits_for_the_stuck_message(
    devserver: tuple[WorkflowEnvironment, int], smtp: SmtpSink, worker_factory: Any
) -> None:
    """A silence deadline that passes while the acknowledgement is stuck adds nothing behind
    it: once mail flows, the candidate has just heard from us."""
    env, _ = devserver
    worker = worker_factory()
    smtp.stop()
    start_input = inp(f"r-{uuid.uuid4().hex[:6]}", "c-1", "Ada Lovelace")
    start_input = start_input.model_copy(
        update={
            "policy": start_input.policy.model_copy(
                update={"max_silence": timedelta(seconds=2), "decision_due": timedelta(minutes=5)}
            )
        }
    )
    hb = HeardbackClient(env.client, task_queue=worker.task_queue)
    h = await start(hb, start_input)
    await asyncio.sleep(4.5)  # the silence deadline has passed; the acknowledgement is stuck
    assert [m.status for m in (await hb.status_of(h.id)).messages] == ["pending"]
    smtp.start()
    for _ in range(200):
        st = await hb.status_of(h.id)
        if st.messages[0].status == "delivered":
            break
        await asyncio.sleep(0.05)
    assert [(m.kind, m.status) for m in st.messages] == [("acknowledgement", "delivered")]
    smtp.handler.learn(st)
    assert [smtp.handler.kind_of(m) for m in smtp.handler.received] == ["acknowledgement"]
    await h.terminate(reason="test over")


async def test_the_worker_stops_cleanly_on_sigint(worker_factory: Any) -> None:
    worker = worker_factory()
    await asyncio.sleep(2)
    assert worker.proc.poll() is None
    assert worker.stop(signal.SIGINT) == 0
    assert "worker_stopped" in worker.log.read_text()


async def test_the_worker_keeps_the_retention_schedule_and_a_sweep_runs(
    devserver: tuple[WorkflowEnvironment, int], worker_factory: Any
) -> None:
    env, _ = devserver
    worker = worker_factory(
        extra_env={
            "HEARDBACK_RETENTION_SCHEDULE": "true",
            "HEARDBACK_RETENTION_SWEEP_EVERY": "PT6H",
        }
    )
    handle = env.client.get_schedule_handle(contract.RETENTION_SCHEDULE_ID)
    desc = None
    for _ in range(200):
        with contextlib.suppress(RPCError):
            desc = await handle.describe()
            if desc.schedule.action.task_queue == worker.task_queue:  # type: ignore[attr-defined]
                break
        await asyncio.sleep(0.1)
    assert desc is not None, "the worker did not create the retention schedule"
    assert desc.schedule.spec.intervals[0].every == timedelta(hours=6)
    assert desc.schedule.action.task_queue == worker.task_queue  # type: ignore[attr-defined]
    assert "retention_schedule_ready" in worker.log.read_text()

    await handle.trigger()  # a pass now, as an operator would
    for _ in range(200):
        actions = (await handle.describe()).info.recent_actions
        if actions:
            break
        await asyncio.sleep(0.1)
    run = actions[-1].action
    assert isinstance(run, ScheduleActionExecutionStartWorkflow)
    result = await asyncio.wait_for(env.client.get_workflow_handle(run.workflow_id).result(), 30)
    assert result["candidacies"] == 0  # nothing finished is past its retention here
    assert worker.stop(signal.SIGTERM) == 0


async def test_a_long_history_continues_as_new_and_keeps_state_and_promises(
    devserver: tuple[WorkflowEnvironment, int], smtp: SmtpSink, worker_factory: Any
) -> None:
    env, _ = devserver
    worker = worker_factory()
    role = f"r-{uuid.uuid4().hex[:6]}"
    hb = HeardbackClient(env.client, task_queue=worker.task_queue)
    h = await start(hb, inp(role, "c-9", "Dee Long"))
    await hb.record_interview(
        role,
        "c-9",
        InterviewCompleted(
            interview_id="i-1",
            stage="technical",
            interviewer_email="ivy@globex.example",
            duration=timedelta(hours=1),
            feedback=["Your explanations were clear throughout."],
        ),
    )
    first_run = (await h.describe()).run_id
    # A flood of 2,500 malformed signals (at least one history event each): past the
    # 2,000-event point where the workflow continues as new, carrying its state.
    for batch in range(25):
        await asyncio.gather(
            *(
                h.signal("interview_completed", {"interview_id": f"x-{batch}-{i}"})
                for i in range(100)
            )
        )
    for _ in range(300):  # the worker catches up with the flood, then continues as new
        if (await h.describe()).run_id != first_run:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("expected at least one continue-as-new")
    await asyncio.sleep(1)
    st = await hb.status(role, "c-9")
    assert st.state == "active"
    assert st.hours_invested == 1.0  # carried across runs
    assert len(st.rejected_inputs) == 50  # bounded, newest kept
    await hb.decide(role, "c-9", Decide(outcome="offer"))
    await hb.offer_update(role, "c-9", OfferUpdate(event="declined"))
    final = await wait_done(h)
    candidate = [m.kind for m in final.messages if m.recipient == "candidate"]
    assert candidate.count("offer") == 1
    ids = smtp.handler.ids()
    assert len(ids) == len(set(ids))
    smtp.handler.learn(final)
    assert len(smtp.handler.of_kind("offer")) == 1


async def test_a_worker_killed_halfway_through_a_close_still_tells_each_candidate_once(
    devserver: tuple[WorkflowEnvironment, int], worker_factory: Any, tmp_path: Path
) -> None:
    env, _ = devserver
    client: Client = env.client
    first = worker_factory(transport="file")
    role_id = f"r-{uuid.uuid4().hex[:6]}"
    hb = HeardbackClient(client, task_queue=first.task_queue)
    role = await client.start_workflow(
        "Role",
        {
            "role": {
                "id": role_id,
                "title": "SRE",
                "company": "Hooli",
                "contact_email": "jobs@hooli.example",
            },
            "policy": {"quiet_hours": None},  # independent of the hour it runs at
        },
        id=f"role-{role_id}",
        task_queue=first.task_queue,
    )
    count = 60
    sem = asyncio.Semaphore(6)  # Temporal admits 10 in-flight updates per workflow

    async def add(i: int) -> None:
        async with sem:
            await hb.add_candidate(
                role_id, Candidate(id=f"c-{i:03d}", name=f"Person {i}", email=f"p{i}@example.org")
            )

    await asyncio.gather(*(add(i) for i in range(count)))  # retried by the helper when busy
    outbox = tmp_path / "outbox"
    for _ in range(300):
        if len(list(outbox.glob("*.acknowledgement.eml"))) == count:
            break
        await asyncio.sleep(0.1)
    await role.execute_update("close", {"reason": "filled"})
    await asyncio.sleep(0.3)
    first.proc.kill()  # SIGKILL, mid fan-out
    first.proc.wait()
    second = worker_factory(transport="file", task_queue=first.task_queue)
    for _ in range(600):
        summary = await role.query("summary")
        if summary["messages_owed"] == 0 and summary["fan_out_remaining"] == 0:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"close never completed: {summary}")
    finals: dict[str, list[str]] = {}
    for msg in read_outbox(outbox):  # the outbox file names say the kind and candidacy
        if msg["X-Heardback-Kind"] in FINAL_KINDS:
            finals.setdefault(str(msg["X-Heardback-Candidacy"]), []).append(
                str(msg["X-Heardback-Kind"])
            )
    wrong = {wf: kinds for wf, kinds in finals.items() if kinds != ["role_closed"]}
    assert wrong == {}
    assert len(finals) == count
    assert summary["finished_by_outcome"] == {"role_closed": count}
    assert second.stop() == 0
