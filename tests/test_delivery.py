"""Rendering and delivery: stable ids, threading, at-most-once, real SMTP on loopback."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from heardback.activities.delivery import DeliveryActivities
from heardback.activities.ledger import SqliteLedger
from heardback.activities.mime import opaque_message_id
from heardback.activities.render import Renderer
from heardback.activities.transport import FileTransport, SmtpTransport
from heardback.workflows.models import (
    DeliveryRequest,
    FeedbackSection,
    MessageContent,
    MessageKind,
    OutgoingMessage,
    Recipient,
)
from tests.conftest import SmtpSink, body_of, make_settings, read_outbox, running_harness

WF = "candidacy-r-7-c-42"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALL_KINDS: list[tuple[MessageKind, Recipient]] = [
    ("acknowledgement", "candidate"),
    ("status_update", "candidate"),
    ("delay_explanation", "candidate"),
    ("stage_result", "candidate"),
    ("rejection", "candidate"),
    ("offer", "candidate"),
    ("withdrawal_confirmation", "candidate"),
    ("feedback_update", "candidate"),
    ("survey", "candidate"),
    ("feedback_reminder", "interviewer"),
    ("escalation", "contact"),
]
JARGON = re.compile(r"\b(pipeline|req|requisition|disposition|ATS|None|null)\b|\{\{|\}\}")


def request(
    kind: MessageKind, recipient: Recipient = "candidate", seq: int = 1, **content: Any
) -> DeliveryRequest:
    base: dict[str, Any] = {
        "candidate_name": "Ada Lovelace",
        "role_title": "Backend Engineer",
        "company": "Acme",
        "stage": "technical",
        "next_stage": "onsite",
        "feedback": [
            FeedbackSection(stage="technical", lines=["You explained the trade-offs clearly."])
        ],
        "decision_lines": ["We chose someone with more on-call experience."],
        "pending_feedback_stages": ["onsite"],
        "hours_invested": 4.5,
        "next_contact_by": NOW + timedelta(days=7),
        "hold_until": NOW + timedelta(days=10),
        "survey_url": "https://acme.example/survey",
        "reason": "feedback_overdue",
        "interview_id": "i-1",
        "candidacy_id": WF,
        "waiting_on": "decision",
        "overdue_since": NOW,
    }
    base.update(content)
    to = {
        "candidate": "ada@example.org",
        "interviewer": "bob@acme.example",
        "contact": "hiring@acme.example",
    }[recipient]
    return DeliveryRequest(
        message=OutgoingMessage(
            message_id=f"{WF}.{seq:03d}.{kind}",
            kind=kind,
            recipient=recipient,
            to_email=to,
            content=MessageContent(**base),
            queued_at=NOW,
        ),
        workflow_id=WF,
        thread_root_id=f"{WF}.000.acknowledgement",
        reply_to="hiring@acme.example",
    )


def renderer() -> Renderer:
    return Renderer(mail_from="hiring@heardback.localhost", message_id_domain="heardback.test")


@pytest.mark.parametrize(("kind", "recipient"), ALL_KINDS)
def test_every_template_reads_like_a_person_wrote_it(
    kind: MessageKind, recipient: Recipient
) -> None:
    subject, body = renderer().render_text(request(kind, recipient))
    assert subject
    assert not JARGON.search(subject + body), JARGON.search(subject + body)
    assert "Ada Lovelace" in body
    assert "Backend Engineer" in body + subject
    assert len(body.split()) < 250, "short enough to read on a phone"
    if recipient == "candidate":
        assert "reply to this email" in body.lower()


@pytest.mark.parametrize(
    "kind", ["acknowledgement", "status_update", "delay_explanation", "stage_result"]
)
def test_candidate_messages_say_by_when_they_will_hear_next(kind: MessageKind) -> None:
    _, body = renderer().render_text(request(kind))
    # CLDR's English ("en"): "by Tuesday, December 8, 2026 at 9:00 AM (Coordinated Universal Time)"
    assert re.search(r"by \w+day, \w+ \d{1,2}, 2026 at \d{1,2}:\d\d\s[AP]M \(", body), body


def test_feedback_and_reasons_appear_in_the_interviewers_words() -> None:
    _, body = renderer().render_text(request("rejection", thank_for_time=True, interview_count=3))
    assert "  - You explained the trade-offs clearly." in body
    assert "  - We chose someone with more on-call experience." in body
    assert "Feedback from your onsite round is still being written" in body
    assert "Thank you for the 4 hours and 30 minutes you put into 3 interviews" in body


def test_headers_thread_candidate_messages_under_the_acknowledgement() -> None:
    ack = renderer().render(request("acknowledgement", seq=0))
    root = opaque_message_id(f"{WF}.000.acknowledgement", "heardback.test")
    assert ack["Message-ID"] == root
    assert ack["In-Reply-To"] is None
    # No earlier ids given: the thread root.
    later = renderer().render(request("stage_result", seq=3))
    assert later["Message-ID"] == opaque_message_id(f"{WF}.003.stage_result", "heardback.test")
    assert later["In-Reply-To"] == root
    assert later["References"] == root
    # The conversation so far: In-Reply-To the last one, References all of them, oldest first.
    req = request("rejection", seq=5)
    req.references = [f"{WF}.000.acknowledgement", f"{WF}.003.stage_result"]
    last = renderer().render(req)
    assert last["In-Reply-To"] == later["Message-ID"]
    assert str(last["References"]).split() == [root, str(later["Message-ID"])]
    assert last["Reply-To"] == "hiring@acme.example"
    assert last["Auto-Submitted"] == "auto-generated"
    assert last.get_content_type() == "multipart/alternative"
    # A candidate's headers say nothing of the kind, the outcome or the candidacy.
    headers = " ".join(f"{k}: {v}" for k, v in last.items())
    for word in ("rejection", "stage_result", WF, "X-Heardback"):
        assert word not in headers, word


def smtp_activities(smtp: SmtpSink, tmp_path: Path) -> DeliveryActivities:
    return DeliveryActivities(
        transport=SmtpTransport(host=smtp.host, port=smtp.port),
        ledger=SqliteLedger(tmp_path / "ledger.sqlite3"),
        renderer=renderer(),
    )


async def test_a_retried_delivery_never_sends_twice_over_smtp(
    smtp: SmtpSink, tmp_path: Path
) -> None:
    acts = smtp_activities(smtp, tmp_path)
    req = request("acknowledgement", seq=0)
    first = await acts.deliver(req)
    second = await acts.deliver(req)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert smtp.handler.ids() == [opaque_message_id(f"{WF}.000.acknowledgement", "heardback.test")]
    assert body_of(smtp.handler.received[0]).startswith("Hi Ada Lovelace,")


async def test_one_smtp_connection_carries_many_messages_and_a_dropped_one_is_replaced(
    smtp: SmtpSink, tmp_path: Path
) -> None:
    acts = smtp_activities(smtp, tmp_path)
    kinds: list[MessageKind] = ["acknowledgement", "stage_result", "offer"]
    for seq, kind in enumerate(kinds):
        await acts.deliver(request(kind, seq=seq))
    assert len(smtp.handler.received) == 3
    assert len(smtp.handler.connections) == 1  # no connect, EHLO and QUIT per message
    smtp.stop()  # the server restarts: the kept connection is dead
    smtp.start()
    await acts.deliver(request("status_update", seq=3))
    assert len(smtp.handler.received) == 4
    assert len(smtp.handler.connections) == 2


async def test_a_send_that_was_never_recorded_is_recognised_in_the_file_outbox(
    tmp_path: Path,
) -> None:
    transport = FileTransport(tmp_path / "outbox")
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    acts = DeliveryActivities(transport=transport, ledger=ledger, renderer=renderer())
    req = request("offer")
    # An earlier attempt claimed and wrote the message, then died before recording it.
    await ledger.claim(req.message.message_id, workflow_id=WF, kind="offer")
    await transport.send(req.message.message_id, renderer().render(req))
    written = transport.path_for(req.message.message_id).stat().st_mtime_ns
    receipt = await acts.deliver(req)
    assert receipt.duplicate
    assert transport.path_for(req.message.message_id).stat().st_mtime_ns == written
    entry = await ledger.get(req.message.message_id)
    assert entry is not None and entry.status == "delivered"
    assert len(read_outbox(tmp_path / "outbox")) == 1


async def test_a_deferring_mail_server_delays_delivery_and_loses_nothing(
    env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> None:
    smtp.handler.defer_remaining = 1
    settings = make_settings(
        tmp_path, mail_transport="smtp", smtp_host=smtp.host, smtp_port=smtp.port
    )
    async with running_harness(env, settings) as harness:
        h = await harness.start()
        st = await harness.delivered(h, 1)
    assert [m.kind for m in st.messages] == ["acknowledgement"]
    assert len(smtp.handler.received) == 1  # the acknowledgement, once
    assert smtp.handler.defer_remaining == 0


async def test_an_address_the_server_refuses_is_escalated_not_retried_forever(
    env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> None:
    smtp.handler.refuse.add("nobody@example.org")
    settings = make_settings(
        tmp_path, mail_transport="smtp", smtp_host=smtp.host, smtp_port=smtp.port
    )
    async with running_harness(env, settings) as harness:
        h = await harness.start(candidate={"email": "nobody@example.org"})
        st = await harness.until(
            h, lambda s: any(m.kind == "escalation" and m.status == "delivered" for m in s.messages)
        )
        ack = st.messages[0]
        assert (ack.kind, ack.status) == ("acknowledgement", "failed")
        assert ack.error is not None and "refused" in ack.error
        [escalation] = [m for m in smtp.handler.received if m["To"] == "hiring@acme.example"]
        assert "cannot be delivered" in body_of(escalation)
        # The hiring team can still close the candidacy; nothing waits on the dead address.
        await h.execute_update(
            "decide",
            {
                "outcome": "reject",
                "feedback": ["We will not move forward with your application this time."],
            },
        )
        final = await harness.result(h)
    assert final.state == "completed"
    assert [m.kind for m in final.messages if m.recipient == "candidate"] == [
        "acknowledgement",
        "rejection",
    ]


@pytest.mark.parametrize(("kind", "recipient"), ALL_KINDS)
def test_a_message_sent_through_temporal_reads_back_the_same_and_sends_the_same_mail(
    kind: MessageKind, recipient: Recipient
) -> None:
    """A delivery's content travels without the fields that hold their default (1.8): what the
    activity reads back is the same request, and the candidate gets the same mail."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    convert = pydantic_data_converter.payload_converter
    for req in (
        request(kind, recipient),
        # a sparse message: most fields at their defaults, some set to them explicitly
        request(
            kind,
            recipient,
            feedback=[],
            decision_lines=[],
            pending_feedback_stages=[],
            next_contact_by=None,
            hold_until=None,
            survey_url=None,
            overdue_since=None,
            hours_invested=0.0,
            locale="de",
            thank_for_time=True,
        ),
    ):
        payload = convert.to_payloads([req])[0]
        back = convert.from_payloads([payload], [DeliveryRequest])[0]
        assert back == req
        # only what differs from the defaults travels
        sent_fields = set(json.loads(payload.data)["message"]["content"])
        c = req.message.content
        assert sent_fields == {
            name
            for name, field in MessageContent.model_fields.items()
            if field.is_required()
            or getattr(c, name) != field.get_default(call_default_factory=True)
        }
        assert "resumed_from_hold" not in sent_fields
        sent, read_back = renderer().render(req), renderer().render(back)
        assert body_of(sent) == body_of(read_back)  # type: ignore[arg-type]
        assert [(k, v) for k, v in sent.items() if k != "Content-Type"] == [
            (k, v) for k, v in read_back.items() if k != "Content-Type"
        ]
