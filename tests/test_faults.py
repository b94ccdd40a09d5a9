"""Faults, with repeatable tests: the real dev server, the real worker process, a real SMTP server
on loopback, and everything counted by Message-ID.

A short form runs in CI; `make faults` runs the long form (HEARDBACK_FAULTS=long): more
candidacies, more kills.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from heardback.activities.mime import message_id_digest as wire
from heardback.runtime.converter import DATA_CONVERTER
from heardback.starter.client import HeardbackClient
from heardback.workflows.errors import Unavailable
from heardback.workflows.models import (
    CandidacyInput,
    Decide,
    InterviewCompleted,
    Status,
    SubmitFeedback,
)
from tests.conftest import SmtpSink, WorkerProcess, dev_server_on, free_port

pytestmark = [pytest.mark.devserver, pytest.mark.timeout(900)]

LONG = os.environ.get("HEARDBACK_FAULTS") == "long"
T = TypeVar("T")

POLICY = {
    "max_silence": "PT20S",
    "decision_due": "PT15S",
    "feedback_due": "PT10S",
    "hold_max": "PT30S",
    "effort_threshold": "PT2H",
    "feedback_wait_max": "PT30S",
    "survey_delay": "PT2S",
    "offer_details_due": "PT10S",
}


def candidacy(role: str, n: int) -> CandidacyInput:
    return CandidacyInput.model_validate(
        {
            "role": {
                "id": role,
                "title": "Platform Engineer",
                "company": "Hooli",
                "contact_email": "hiring@hooli.example",
            },
            "candidate": {"id": f"c-{n}", "name": f"Person {n}", "email": f"p{n}@example.org"},
            "policy": POLICY,
        }
    )


async def retrying(call: Callable[[], Awaitable[T]], *, seconds: float = 120) -> T:
    """A backend's retry loop: Unavailable (no worker at the moment, server restarting) is
    retried with the same request id, so nothing is applied twice."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await call()
        except Unavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def lifecycle(hb: HeardbackClient, role: str, n: int) -> str:
    """Acknowledgement, an interview with feedback, a stage result, a rejection with reasons."""
    inp = candidacy(role, n)
    wf = await retrying(lambda: hb.start_candidacy(inp))
    cand = inp.candidate.id
    await retrying(
        lambda: hb.record_interview(
            role,
            cand,
            InterviewCompleted(
                interview_id="i-1",
                stage="screen",
                interviewer_email="iv@hooli.example",
                duration=timedelta(hours=1),
                feedback=["Clear and well structured."],
            ),
        )
    )
    await retrying(
        lambda: hb.decide(
            role,
            cand,
            Decide(outcome="advance", next_stage="onsite"),
            request_id=f"{wf}-advance",
        )
    )
    await retrying(
        lambda: hb.submit_feedback(
            role,
            cand,
            SubmitFeedback(interview_id="i-1", feedback=["Strong on incident reviews."]),
            request_id=f"{wf}-feedback",
        )
    )
    await retrying(
        lambda: hb.decide(
            role,
            cand,
            Decide(outcome="reject", feedback=["We chose someone with more Go."]),
            request_id=f"{wf}-reject",
        )
    )
    return wf


async def wait_all(hb: HeardbackClient, ids: list[str], timeout: float) -> list[Status]:
    deadline = time.monotonic() + timeout
    done: dict[str, Status] = {}
    while len(done) < len(ids):
        for wf in ids:
            if wf in done:
                continue
            with contextlib.suppress(Exception):
                st = await hb.status_of(wf)
                if st.state == "completed":
                    done[wf] = st
        if time.monotonic() > deadline:
            pending = sorted(set(ids) - set(done))[:5]
            raise AssertionError(f"{len(ids) - len(done)} candidacies unfinished: {pending}")
        await asyncio.sleep(0.5)
    return [done[wf] for wf in ids]


def message_ids(smtp: SmtpSink) -> Counter[str]:
    """Received Message-IDs (opaque digests), counted."""
    return Counter(str(m["Message-ID"]).strip("<>").split("@")[0] for m in smtp.handler.received)


def ledger_attempts(path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT message_id, attempts FROM deliveries").fetchall())


async def test_worker_killed_repeatedly_mid_flight_loses_nothing(
    devserver: tuple[WorkflowEnvironment, int], tmp_path: Path, smtp: SmtpSink
) -> None:
    env, port = devserver
    count, kills = (400, 12) if LONG else (80, 4)
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    role = f"r-{uuid.uuid4().hex[:6]}"
    workers = [WorkerProcess(port, tmp_path, smtp, task_queue=queue)]
    hb = HeardbackClient(env.client, task_queue=queue)
    rng = random.Random(7)
    killed = 0

    async def killer() -> None:
        nonlocal killed
        while killed < kills:
            await asyncio.sleep(rng.uniform(0.8, 2.0))
            workers[-1].proc.send_signal(signal.SIGKILL)  # mid-delivery, mid-task: anything
            workers[-1].kill()
            killed += 1
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            workers.append(WorkerProcess(port, tmp_path, smtp, task_queue=queue))

    gate = asyncio.Semaphore(20)

    async def one(n: int) -> str:
        async with gate:
            return await lifecycle(hb, role, n)

    try:
        chaos = asyncio.ensure_future(killer())
        ids = await asyncio.gather(*(one(n) for n in range(count)))
        await chaos
        statuses = await wait_all(hb, list(ids), timeout=300)
    finally:
        for w in workers:
            w.kill()
    received = message_ids(smtp)
    owed = [wire(m.message_id) for st in statuses for m in st.messages]
    assert killed == kills
    assert len(owed) >= count * 3  # acknowledgement, stage result, rejection at least
    missing = [mid for mid in owed if received[mid] == 0]
    assert missing == [], f"lost: {missing[:5]}"
    assert all(m.status == "delivered" for st in statuses for m in st.messages)
    # A duplicate can only come from SMTP's window (server's 250 taken, worker killed before
    # the ledger write): such a message shows a second attempt in the ledger, and each kill
    # can interrupt at most the deliveries in flight at that instant.
    twice = [mid for mid, n in received.items() if n > 1]
    attempts = {  # by the digest a mail server sees
        wire(mid): n for mid, n in ledger_attempts(tmp_path / "ledger.sqlite3").items()
    }
    assert all(attempts.get(mid, 0) >= 2 for mid in twice), twice
    assert len(twice) <= kills, twice
    print(f"faults: {count} candidacies, {len(owed)} messages, {kills} kills, dup={len(twice)}")


async def finish(hb: HeardbackClient, role: str, cand: str, wf: str) -> None:
    async def feedback() -> object:
        return await hb.submit_feedback(
            role,
            cand,
            SubmitFeedback(
                interview_id="i-1", feedback=["You gave thoughtful answers to each question."]
            ),
            request_id=f"{wf}-fb",
        )

    async def reject() -> object:
        return await hb.decide(
            role,
            cand,
            Decide(outcome="reject", feedback=["A closer fit applied."]),
            request_id=f"{wf}-reject",
        )

    await retrying(feedback)
    await retrying(reject)


async def test_dev_server_restarted_mid_run_every_candidacy_continues(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    """The server goes away (its SQLite file stays) while candidacies wait on timers and
    deliveries; once it is back, every one of them finishes, each message once."""
    count = 120 if LONG else 30
    db = tmp_path / "temporal.db"
    port = free_port()

    env = await dev_server_on(port, db)
    worker = WorkerProcess(port, tmp_path, smtp)
    role = f"r-{uuid.uuid4().hex[:6]}"
    hb = HeardbackClient(env.client, task_queue=worker.task_queue)
    try:
        ids = [await hb.start_candidacy(candidacy(role, n)) for n in range(count)]
        for n in range(count):
            await hb.record_interview(
                role,
                f"c-{n}",
                InterviewCompleted(
                    interview_id="i-1",
                    stage="screen",
                    interviewer_email="iv@hooli.example",
                    duration=timedelta(hours=1),
                ),
            )
        await asyncio.sleep(1.0)  # acknowledgements and reminders in flight
        await env.shutdown()  # the server dies; the worker keeps trying to reach it
        await asyncio.sleep(3.0)
        env = await dev_server_on(port, db)
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=DATA_CONVERTER)
        hb = HeardbackClient(client, task_queue=worker.task_queue)
        # The worker rode out the restart (an update would otherwise wait for it forever).
        assert worker.proc.poll() is None, worker.log.read_text()[-2000:]

        async def finish_all() -> None:
            for n, wf in enumerate(ids):
                await finish(hb, role, f"c-{n}", wf)

        await asyncio.wait_for(finish_all(), timeout=180)
        statuses = await wait_all(hb, ids, timeout=120)
    finally:
        worker.kill()
        await env.shutdown()
    received = message_ids(smtp)
    owed = [wire(m.message_id) for st in statuses for m in st.messages]
    assert [mid for mid in owed if received[mid] != 1] == []
    kinds = Counter(m.kind for st in statuses for m in st.messages)
    assert kinds["acknowledgement"] == kinds["rejection"] == count
