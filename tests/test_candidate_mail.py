"""What the candidate reads, end to end: the real worker on the time-skipping server, delivering
over SMTP to aiosmtpd on loopback. Every assertion reads the mail the server received."""

from __future__ import annotations

import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from heardback.activities.mime import opaque_message_id
from heardback.workflows.errors import Refused
from heardback.workflows.models import Decide, InterviewCompleted, Status
from tests.conftest import Harness, SmtpSink, candidacy_input, make_settings, running_harness

REASON = "We needed deeper experience running PostgreSQL at scale than your answers showed us."
LONG_LINE = (
    "Your answer on the caching layer was thorough and careful; "
    + "you walked through eviction, warm-up and the failure of a whole zone, step by step. " * 20
).strip()
assert 1500 < len(LONG_LINE) < 2000


def settings_for(smtp: SmtpSink, tmp_path: Path, **overrides: Any) -> Any:
    return make_settings(
        tmp_path,
        mail_transport="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        message_id_domain="heardback.test",
        **overrides,
    )


def received(smtp: SmtpSink, st: Status, kind: str | None = None) -> list[EmailMessage]:
    """The mail the server took for this candidacy (optionally of one kind), in order. The
    Message-ID is opaque: it is matched against the ids the candidacy reports."""
    by_id = {str(m["Message-ID"]): m for m in smtp.handler.received}
    out = []
    for rec in st.messages:
        if kind is not None and rec.kind != kind:
            continue
        msg = by_id.get(opaque_message_id(rec.message_id, "heardback.test"))
        if msg is not None:
            out.append(msg)
    return out


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


async def interview(
    h: Harness, handle: WorkflowHandle[Any, Any], iid: str, hours: float, lines: list[str]
) -> None:
    await handle.signal(
        "interview_completed",
        InterviewCompleted(
            interview_id=iid,
            stage="tech_screen_2",
            interviewer_email="bob@acme.example",
            duration=timedelta(hours=hours),
            feedback=lines,
        ),
    )


async def test_a_1600_character_line_reaches_the_candidate_and_nothing_waits_behind_it(
    env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> None:
    async with running_harness(env, settings_for(smtp, tmp_path)) as h:
        handle = await h.start()
        cid = handle.id.rsplit("-c-", 1)[1]
        await interview(h, handle, "i-1", 1.0, [LONG_LINE])
        await h.hb.decide("r-7", f"c-{cid}", Decide(outcome="advance", next_stage="onsite"))
        await h.hb.decide("r-7", f"c-{cid}", Decide(outcome="reject", feedback=[REASON]))
        st = await h.result(handle)
    kinds = [m.kind for m in st.messages if m.recipient == "candidate"]
    assert kinds == ["acknowledgement", "stage_result", "rejection"]
    assert all(m.status == "delivered" for m in st.messages)
    stage_result = received(smtp, st, "stage_result")[0]
    # The exact line, in the text and in the HTML part, whatever its length.
    assert LONG_LINE in " ".join(text_of(stage_result).split())
    assert LONG_LINE in " ".join(html_of(stage_result).split())
    # And every line the server received fits in 998 octets.
    for msg in received(smtp, st):
        raw = msg.as_bytes(policy=email.policy.SMTP)
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    # The stage id never reaches the candidate; its humanised name does.
    assert "tech_screen_2" not in text_of(stage_result)
    assert "tech screen 2" in text_of(stage_result)


class RefuseFirstStageResult:
    """Answers 554 to the DATA of the first message that carries a feedback line."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.refused = 0

    def __call__(self, content: bytes) -> str | None:
        text = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(text, EmailMessage)
        if self.refused == 0 and self.marker in text_of(text):
            self.refused += 1
            return "554 5.6.0 Message content rejected"
        return None


async def test_a_message_the_server_refuses_is_skipped_and_the_contact_gets_its_lines(
    env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> None:
    marker = "Your tests were careful and named what they checked."
    smtp.handler.refuse_data = RefuseFirstStageResult(marker)
    async with running_harness(env, settings_for(smtp, tmp_path)) as h:
        handle = await h.start()
        cid = handle.id.rsplit("-c-", 1)[1]
        await interview(h, handle, "i-1", 1.0, [marker])
        await h.hb.decide("r-7", f"c-{cid}", Decide(outcome="advance", next_stage="onsite"))
        await h.idle(handle)
        await h.hb.decide("r-7", f"c-{cid}", Decide(outcome="reject", feedback=[REASON]))
        st = await h.result(handle)
    records = [(m.kind, m.recipient, m.status) for m in st.messages]
    assert ("stage_result", "candidate", "failed") in records
    # The candidate still learned that they advanced (a plain copy), then the outcome.
    candidate = [k for k, r, s in records if r == "candidate" and s == "delivered"]
    assert candidate == ["acknowledgement", "stage_result", "rejection"]
    plain = received(smtp, st, "stage_result")[0]
    assert marker not in text_of(plain)
    assert REASON in " ".join(text_of(received(smtp, st, "rejection")[0]).split())
    # The contact was told, with the line to pass on by hand.
    escalation = received(smtp, st, "escalation")
    assert len(escalation) == 1
    assert escalation[0]["To"] == "hiring@acme.example"
    assert marker in " ".join(text_of(escalation[0]).split())


async def test_the_survey_waits_and_comes_once_per_address_across_roles(
    env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> None:
    survey = {"survey_url": "https://acme.example/survey"}
    async with running_harness(env, settings_for(smtp, tmp_path)) as h:
        # Started as a raw Temporal client would: result() then lets the test server skip time.
        first = await h.start(role={"id": "r-1", **survey})
        second = await h.start(role={"id": "r-2", **survey})
        for handle, role in ((first, "r-1"), (second, "r-2")):
            cid = "c-" + handle.id.rsplit("-c-", 1)[1]
            await h.hb.decide(role, cid, Decide(outcome="reject"))
            await h.idle(handle)
        a = await h.result(first)
        b = await h.result(second)
    delivered = {(m.kind, m.status): m for m in a.messages if m.recipient == "candidate"}
    rejection, sent = delivered[("rejection", "delivered")], delivered[("survey", "delivered")]
    assert rejection.delivered_at is not None and sent.delivered_at is not None
    assert sent.delivered_at - rejection.delivered_at >= timedelta(days=2)  # survey_delay
    text = text_of(received(smtp, a, "survey")[0])
    assert "anonymous" in text.lower()
    # The same address applied to another role: no second survey within survey_cooldown.
    skipped = [m for m in b.messages if m.kind == "survey"]
    assert [m.status for m in skipped] == ["skipped"], skipped
    assert received(smtp, b, "survey") == []


async def test_a_candidate_in_tokyo_reads_german_with_local_dates(
    env: WorkflowEnvironment, smtp: SmtpSink, tmp_path: Path
) -> None:
    async with running_harness(env, settings_for(smtp, tmp_path)) as h:
        handle = await h.start_with_client(
            candidacy_input(candidate={"locale": "de", "time_zone": "Asia/Tokyo"})
        )
        st = await h.delivered(handle, 1)
    ack = received(smtp, st, "acknowledgement")[0]
    text = text_of(ack)
    assert "Ada Lovelace" in text
    assert ack["Content-Language"] == "de"
    assert re.search(r"Japan", text), text  # the zone is named
    assert "Backend Engineer" in text
    for english in (" the ", " we ", " your ", " will "):
        assert english not in text.lower()


async def test_a_hold_past_the_threshold_without_reasons_is_refused_with_why(
    harness: Harness,
) -> None:
    handle = await harness.start()
    cid = "c-" + handle.id.rsplit("-c-", 1)[1]
    await interview(harness, handle, "i-1", 4.0, ["Clear and kind."])
    await harness.idle(handle)
    with pytest.raises(Refused, match="if the hold expires"):
        await harness.hb.decide("r-7", cid, Decide(outcome="hold"))
    with pytest.raises(Refused, match="stock phrase"):
        await harness.hb.decide("r-7", cid, Decide(outcome="reject", feedback=["Not this time."]))
    await harness.hb.decide("r-7", cid, Decide(outcome="hold", feedback=[REASON]))
    st = await harness.status(handle)
    assert st.state == "on_hold"


async def test_working_days_and_a_holiday_calendar_run_in_the_workflow_sandbox(
    harness: Harness,
) -> None:
    """The holiday calendar is computed inside the workflow (deterministically): an interview's
    feedback falls due two working days later in the role's zone, skipping weekends."""
    handle = await harness.start(
        role={"time_zone": "Europe/Berlin", "holiday_calendar": "DE"},
        policy={"feedback_due": "P2D"},
    )
    await interview(harness, handle, "i-1", 1.0, [])
    st = await harness.until(handle, lambda s: len(s.interviews) == 1)
    done = st.interviews[0].completed_at
    assert st.next_deadline is not None
    due = st.next_deadline.due_at
    assert st.next_deadline.kind == "feedback_due"
    assert due - done >= timedelta(days=2)  # never sooner than two calendar days
    assert due.astimezone(ZoneInfo("Europe/Berlin")).weekday() < 5  # a working day
