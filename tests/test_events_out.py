"""Events out: heardback posts signed events to the tenant's URL, from their own workflows, with
retries; a slow or failing receiver never delays a candidate's mail.

A real HTTP receiver on loopback (the standard library's server in a thread) records what it was
sent; every assertion is about those requests: their bodies, headers and signatures, checked
here with hmac, not with heardback's own helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from heardback.activities.transport import FileTransport, OnAccepted
from heardback.runtime import events
from heardback.worker.wiring import build_activities, build_event_worker, build_worker
from heardback.workflows import contract
from heardback.workflows.errors import UndeliverableError
from heardback.workflows.models import Decide, InterviewCompleted
from tests.conftest import Harness, make_settings
from tests.event_receiver import SECRET, Received, Receiver, receiving, signed_by

OLD_SECRET = "whsec-old-fedcba9876543210"
LINES = [
    "You explained the trade-offs of the caching design clearly and checked each assumption "
    "against the numbers we gave you."
]


@contextlib.asynccontextmanager
async def events_harness(
    env: WorkflowEnvironment, tmp_path: Path, receiver: Receiver, **overrides: Any
) -> AsyncIterator[Harness]:
    transport = overrides.pop("transport", None)
    settings = make_settings(
        tmp_path,
        events_url=receiver.url,
        events_secrets=SECRET,
        events_task_queue=f"events-{tmp_path.name}",
        events_timeout_seconds=1.0,
        **overrides,
    )
    acts = build_activities(settings, transport=transport)
    worker = build_worker(env.client, settings, activities=acts)
    events_worker = build_event_worker(env.client, settings)
    assert events_worker is not None
    async with worker, events_worker:
        h = Harness(env=env, client=env.client, settings=settings)
        try:
            yield h
        finally:
            for handle in h.started:
                with contextlib.suppress(Exception):
                    await handle.terminate(reason="test finished")


async def run_lifecycle(h: Harness, candidate_id: str, **start: Any) -> Any:
    """Start, one interview with feedback, a rejection with reasons; the finished status."""
    handle = await h.start(candidate={"id": candidate_id}, **start)
    await h.hb.record_interview(
        "r-7",
        candidate_id,
        InterviewCompleted.model_validate(
            {
                "interview_id": "i-1",
                "stage": "technical",
                "interviewer_email": "bob@acme.example",
                "duration": "PT60M",
                "feedback": LINES,
            }
        ),
    )
    await h.until(handle, lambda st: len(st.interviews) == 1)
    await h.hb.decide("r-7", candidate_id, Decide(outcome="reject", feedback=LINES))
    return await h.result(handle)


async def wait_for(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


# --- signatures (the receiver's side) -----------------------------------------------------------


def test_a_signature_verifies_with_any_listed_secret_and_nothing_else() -> None:
    body = b'{"id":"message.delivered:x","type":"message.delivered"}'
    now = int(time.time())
    header = events.sign(body, [SECRET, OLD_SECRET], at=now)
    assert header.startswith(f"t={now},v1=")
    assert header.count("v1=") == 2  # rotation: a receiver holding either secret accepts it
    assert events.verify(body, header, [SECRET])
    assert events.verify(body, header, [OLD_SECRET])
    assert not events.verify(body, header, ["another-secret"])
    assert not events.verify(body + b" ", header, [SECRET])  # the body was changed
    stale = events.sign(body, [SECRET], at=now - 600)
    assert not events.verify(body, stale, [SECRET])  # older than five minutes
    assert not events.verify(body, None, [SECRET])
    assert not events.verify(body, "v1=" + "0" * 64, [SECRET])  # no time


# --- the events of a lifecycle ------------------------------------------------------------------


async def test_each_delivered_message_and_the_end_are_posted_once_signed(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    with receiving(Receiver()) as receiver:
        async with events_harness(env, tmp_path, receiver) as h:
            final = await run_lifecycle(h, "c-events-1")
            delivered = {m.message_id for m in final.messages if m.status == "delivered"}
            assert len(delivered) == 2  # the acknowledgement and the rejection
            await wait_for(lambda: len(receiver.of_type("candidacy.finished")) == 1)
            await wait_for(lambda: len(receiver.of_type("message.delivered")) == len(delivered))
            await asyncio.sleep(0.5)  # nothing more comes

    posted = receiver.of_type("message.delivered")
    assert {e["data"]["message_id"] for e in posted} == delivered
    assert len(receiver.received) == len(delivered) + 1  # once each: no other request
    for e in posted:
        assert e["id"] == f"message.delivered:{e['data']['message_id']}"
        assert e["data"]["workflow_id"] == "candidacy-r-7-c-events-1"
        assert e["data"]["role_id"] == "r-7" and e["data"]["candidate_id"] == "c-events-1"
    [finished] = receiver.of_type("candidacy.finished")
    assert finished["data"]["outcome"] == "rejected"
    assert finished["data"]["workflow_id"] == "candidacy-r-7-c-events-1"
    for r in receiver.received:
        assert r.headers["content-type"] == "application/json"
        assert r.headers["heardback-event-id"] == r.event["id"]
        assert r.headers["heardback-event-type"] == r.event["type"]
        assert signed_by(r, SECRET)
        # ids and heardback's words only: no name, address or feedback line
        assert b"Ada" not in r.body and b"@" not in r.body and b"trade-offs" not in r.body


async def test_a_receiver_that_fails_is_retried_and_takes_each_event_once(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # The first five requests fail (503, a 429, a hang past the timeout), then all succeed.
    script = [(503, 0.0), (503, 0.0), (429, 0.0), (200, 3.0), (500, 0.0)]
    with receiving(Receiver(script=script)) as receiver:
        async with events_harness(env, tmp_path, receiver) as h:
            final = await run_lifecycle(h, "c-events-2")
            delivered = {m.message_id for m in final.messages if m.status == "delivered"}
            await wait_for(lambda: len(receiver.of_type("candidacy.finished")) == 1, 60)
            await wait_for(
                lambda: (
                    {e["data"]["message_id"] for e in receiver.of_type("message.delivered")}
                    == delivered
                ),
                60,
            )
    attempts: dict[str, list[Received]] = {}
    for r in receiver.received:
        attempts.setdefault(r.event["id"], []).append(r)
    assert sum(len(a) for a in attempts.values()) > len(attempts)  # some were retried
    for tries in attempts.values():
        assert all(signed_by(t, SECRET) for t in tries)
        assert len({t.body for t in tries}) == 1  # the same event every attempt
        assert sum(t.headers["x-answered"] == "200" for t in tries) == 1  # taken once


async def test_a_hanging_receiver_does_not_delay_the_candidates_mail(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # Every post hangs past the timeout: the candidate's lifecycle runs as if events were off.
    with receiving(Receiver(then=(200, 5.0))) as receiver:
        async with events_harness(env, tmp_path, receiver) as h:
            began = time.monotonic()
            final = await run_lifecycle(h, "c-events-3")
            took = time.monotonic() - began
            kinds = [m.kind for m in final.messages if m.status == "delivered"]
            assert kinds[0] == "acknowledgement" and kinds[-1] == "rejection"
            assert h.messages("rejection", to="ada@example.org")
            assert took < 15, f"the lifecycle took {took:.1f} s behind a hanging receiver"
            assert receiver.received  # the events were tried meanwhile
            # The receiver recovers: every event still arrives (by the retries).
            receiver.then = (200, 0.0)
            delivered = {m.message_id for m in final.messages if m.status == "delivered"}
            await wait_for(lambda: len(receiver.of_type("candidacy.finished")) >= 1, 90)
            await wait_for(
                lambda: (
                    {e["data"]["message_id"] for e in receiver.of_type("message.delivered")}
                    >= delivered
                ),
                90,
            )


async def test_a_receiver_refusing_an_event_fails_its_workflow_not_the_candidacy(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    with receiving(Receiver(then=(400, 0.0))) as receiver:
        async with events_harness(env, tmp_path, receiver) as h:
            final = await run_lifecycle(h, "c-events-4")
            assert final.outcome == "rejected"
            first = next(m for m in final.messages if m.kind == "acknowledgement")
            handle = env.client.get_workflow_handle(
                contract.event_workflow_id(f"message.delivered:{first.message_id}")
            )
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            assert "answered 400" in str(failed.value.cause)
            assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
            # Every event was tried once and its workflow failed (none left in flight).
            delivered = [m for m in final.messages if m.status == "delivered"]
            await wait_for(lambda: len(receiver.received) == len(delivered) + 1)
            for r in list(receiver.received):
                other = env.client.get_workflow_handle(contract.event_workflow_id(r.event["id"]))
                with pytest.raises(WorkflowFailureError):
                    await other.result()
    ids = [r.event["id"] for r in receiver.received]
    assert len(ids) == len(set(ids))  # a 4xx is final: never retried


async def test_a_missed_decision_is_posted_as_deadline_missed(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    with receiving(Receiver()) as receiver:
        async with events_harness(env, tmp_path, receiver) as h:
            handle = await h.start(
                candidate={"id": "c-events-5"}, policy={"staff_days": "calendar"}
            )
            await h.hb.record_interview(
                "r-7",
                "c-events-5",
                InterviewCompleted.model_validate(
                    {
                        "interview_id": "i-1",
                        "stage": "technical",
                        "interviewer_email": "bob@acme.example",
                        "duration": "PT60M",
                        "feedback": LINES,
                    }
                ),
            )
            await h.delivered(handle, 1)
            await h.sleep(timedelta(days=5, hours=1), handle)
            await wait_for(lambda: len(receiver.of_type("deadline.missed")) >= 1)
            st = await h.status(handle)
            [escalation] = [m for m in st.messages if m.kind == "escalation"]
            assert len(h.messages("escalation", to="hiring@acme.example")) == 1
    [missed] = receiver.of_type("deadline.missed")
    assert missed["data"]["deadline"] == "decision_overdue"
    assert missed["data"]["workflow_id"] == "candidacy-r-7-c-events-5"
    assert missed["data"]["escalation_message_id"] == escalation.message_id


class BouncingTransport(FileTransport):
    """The file outbox, except that one address never takes mail (as a 550 would say)."""

    async def send(
        self, message_id: str, msg: Message, on_accepted: OnAccepted | None = None
    ) -> None:
        if "nobody@" in str(msg["To"]):
            raise UndeliverableError("550 no such user")
        await super().send(message_id, msg, on_accepted)


async def test_an_undeliverable_message_is_posted_as_message_failed(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    with receiving(Receiver()) as receiver:
        transport = BouncingTransport(tmp_path / "outbox")
        async with events_harness(env, tmp_path, receiver, transport=transport) as h:
            handle = await h.start(candidate={"id": "c-events-6", "email": "nobody@example.org"})
            await h.idle(handle)
            await wait_for(lambda: len(receiver.of_type("message.failed")) >= 1)
    [failed] = receiver.of_type("message.failed")
    assert failed["data"]["kind"] == "acknowledgement"
    assert failed["data"]["failure"] == "undeliverable"
    assert "no such user" not in json.dumps(failed)  # the mail server's words are not passed on


async def test_events_off_starts_no_event_workflow(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    assert build_event_worker(env.client, settings) is None
    assert not events.events_enabled(make_settings(tmp_path, events_url="http://x.example/"))
