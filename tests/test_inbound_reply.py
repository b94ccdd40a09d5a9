"""Reply by email: an interviewer answers a feedback reminder and the lines are recorded.

Real components throughout: a worker on the Temporal dev server, the reminder in its file
outbox, the gateway's SMTP listener (:class:`heardback.gateway.inbound.InboundReplies`) on
loopback, replies sent to it with smtplib, and the answers read back from the outbox. The
reply-address token is signed here (as the reminder's Reply-To carries it)."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from heardback.gateway.deps import ClientHolder
from heardback.gateway.inbound import (
    InboundReplies,
    ReplyAddress,
    feedback_lines,
    html_to_text,
    inbound_from_settings,
    new_text,
    render_answer,
    reply_text,
)
from heardback.runtime.links import LinkSigner, link_digest
from heardback.runtime.settings import Settings
from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_worker, running
from heardback.workflows import screening
from heardback.workflows.models import InterviewCompleted, PageInterview, PageView
from tests.conftest import body_of, candidacy_input, free_port, make_settings, read_outbox

KEY = "inbound-reply-test-key-0123456789abcdef"
INTERVIEWER = "ada.lovelace@acme.example"
CANDIDATE = "Grace Hopper"
NEW_LINES = [
    "You explained the caching design clearly and checked your assumptions as you went.",
    "Walking through the failure cases of the queue earlier would have made it stronger.",
]


# --- what a reply's new text is (no server needed) -------------------------------------------


def realistic_reply(new: str, quoted: str = "Please write a few lines of feedback.") -> str:
    quote = "\n".join(f"> {line}" if line else ">" for line in quoted.splitlines())
    return (
        f"{new}\n\n-- \nAda\n\n"
        "On Tue, 3 Mar 2026 at 10:00, Acme hiring team <hiring@heardback.localhost> wrote:\n"
        f"{quote}\n"
    )


def test_only_the_new_lines_of_a_reply_count() -> None:
    text = realistic_reply("Hi,\n\n- " + NEW_LINES[0] + "\n\n* " + NEW_LINES[1])
    assert feedback_lines(new_text(text)) == NEW_LINES


@pytest.mark.parametrize(
    "attribution",
    [
        "Am Di., 3. März 2026 um 10:00 Uhr schrieb Acme <hiring@heardback.localhost>:",
        "Le mar. 3 mars 2026 à 10:00, Acme <hiring@heardback.localhost> a écrit :",
        "El mar, 3 mar 2026 a las 10:00, Acme (<hiring@heardback.localhost>) escribió:",
    ],
)
def test_quoted_history_is_left_out_in_every_shipped_language(attribution: str) -> None:
    text = f"{NEW_LINES[0]}\n\n{attribution}\n> Bitte schreiben Sie ein paar Zeilen.\n"
    assert feedback_lines(new_text(text)) == [NEW_LINES[0]]


def test_outlook_header_blocks_signoffs_and_phone_footers_are_left_out() -> None:
    text = (
        f"{NEW_LINES[0]}\n{NEW_LINES[1]}\n\nThanks,\nAda\n\nSent from my iPhone\n\n"
        "From: Acme hiring team <hiring@heardback.localhost>\n"
        "Sent: Tuesday, March 3, 2026 10:00 AM\nTo: Ada <ada@acme.example>\n"
        "Subject: Grace Hopper's application\n\nPlease write a few lines.\n"
    )
    assert feedback_lines(new_text(text)) == NEW_LINES


def test_a_reply_with_nothing_above_the_quote_has_no_new_text() -> None:
    assert new_text(realistic_reply("")) == ""
    outlook = "From: Acme <hiring@x.example>\nSent: Tuesday\nTo: Ada\nSubject: x\n\nHello\n"
    assert new_text(outlook) == ""


def test_an_html_only_reply_is_read_as_text_without_its_quote() -> None:
    html = (
        '<div dir="ltr"><div>'
        + NEW_LINES[0]
        + "</div><div><br></div><ul><li>"
        + NEW_LINES[1]
        + '</li></ul><div class="gmail_signature">Ada</div></div>'
        '<div class="gmail_quote"><div>On Tue, Acme wrote:</div>'
        "<blockquote>Please write a few lines.</blockquote></div>"
    )
    msg = EmailMessage()
    msg.set_content(html, subtype="html")
    assert feedback_lines(new_text(reply_text(msg))) == NEW_LINES
    assert "Please write" not in html_to_text(html)


def test_format_flowed_lines_are_joined_before_splitting() -> None:
    msg = EmailMessage()
    msg.set_content("You explained the caching design clearly \nand checked your assumptions.\n")
    msg.set_param("format", "flowed")
    assert feedback_lines(reply_text(msg)) == [
        "You explained the caching design clearly and checked your assumptions."
    ]


def test_the_reply_address_token_is_the_subaddress_compared_case_insensitively() -> None:
    addr = ReplyAddress.parse("reply@heardback.localhost")
    assert addr.token_of("Reply+ABC234@HeardBack.Localhost") == "abc234"
    assert addr.token_of("reply@heardback.localhost") is None
    assert addr.token_of("other+abc@heardback.localhost") is None
    assert addr.token_of("reply+abc@elsewhere.example") is None
    assert addr.with_token("abc") == "reply+abc@heardback.localhost"


def page_view(locale: str) -> PageView:
    return PageView.model_validate(
        {
            "workflow_id": "candidacy-r-7-c-42",
            "candidate_name": CANDIDATE,
            "candidate_locale": locale,
            "candidate_time_zone": "Europe/Berlin",
            "staff_locale": locale,
            "staff_time_zone": "Europe/Berlin",
            "role_title": "Backend Engineer",
            "company": "Acme",
            "state": "active",
            "stage": "screen",
            "round": 1,
            "outcome": None,
            "outcome_at": None,
            "hours_invested": 1.0,
            "effort_threshold_hours": 3.0,
            "reasons_required": False,
            "next_deadline": None,
            "promised_by": None,
            "hold_until": None,
            "latest_hold_until": None,
        }
    )


SCREEN = PageInterview(
    interview_id="i-1",
    stage="screen",
    completed_at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
    interviewer_email=INTERVIEWER,
    feedback=[],
    delivered_lines=0,
    internal_notes=[],
    this_round=True,
)
OUTCOMES: dict[str, dict[str, object]] = {
    "recorded": {"lines": NEW_LINES, "soon": False},
    "screening": {
        "findings": [{"line": "Not a fit.", "message": "A stock phrase.", "suggestion": "Say why."}]
    },
    "no_text": {},
    "closed": {},
    "too_many": {"limit": 50},
    "too_long": {"limit": 2000},
    "refused": {"reason": "the candidacy is completed"},
}


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_every_answer_renders_in_every_shipped_language(locale: str, outcome: str) -> None:
    subject, text = render_answer(page_view(locale), SCREEN, outcome, **OUTCOMES[outcome])
    assert subject.startswith("Re: ") and CANDIDATE in subject and "\n" not in subject
    assert "\n\n\n" not in text and text.endswith("\n")
    assert "candidacy-r-7" not in text and "i-1" not in text  # names, never ids
    assert "Acme" in text.splitlines()[-1]  # the sign-off
    if outcome == "recorded":
        assert all(line in text for line in NEW_LINES)


def test_the_english_answers_say_what_happened_and_what_to_do() -> None:
    view = page_view("en")
    _, recorded = render_answer(view, SCREEN, "recorded", lines=NEW_LINES, soon=True)
    assert (
        "feedback is recorded" in recorded
        and "Grace will receive this by email shortly" in recorded
    )
    _, screened = render_answer(view, SCREEN, "screening", **OUTCOMES["screening"])
    assert '"Not a fit."' in screened and "A stock phrase. Instead: Say why." in screened
    assert "Reply to this email again" in screened
    _, empty = render_answer(view, SCREEN, "no_text")
    assert "no new text" in empty
    _, closed = render_answer(view, SCREEN, "closed")
    assert "application is closed" in closed


async def test_rcpt_takes_one_valid_unrevoked_reply_address(tmp_path: Path) -> None:
    from aiosmtpd.smtp import Envelope

    signer = LinkSigner([KEY])
    token = signer.sign_reply("candidacy-r-7-c-42", "i-1", datetime.now(UTC) + timedelta(days=1))
    other = signer.sign_reply("candidacy-r-7-c-43", "i-1", datetime.now(UTC) + timedelta(days=1))
    settings = make_settings(
        tmp_path,
        link_keys=SecretStr(KEY),
        inbound_smtp_port=free_port(),
        webhook_dedupe_path=tmp_path / "webhooks.sqlite3",
        revoked_links=link_digest(other),
    )
    inbound = inbound_from_settings(settings, ClientHolder(settings))
    assert inbound is not None
    try:

        async def rcpt(address: str, envelope: Envelope | None = None) -> str:
            return await inbound.handle_RCPT(None, None, envelope or Envelope(), address, [])

        assert (await rcpt(f"REPLY+{token.upper()}@heardback.localhost")).startswith("250")
        assert (await rcpt(f"reply+{other}@heardback.localhost")).startswith("550 5.1.1")
        assert "withdrawn" in await rcpt(f"reply+{other}@heardback.localhost")
        assert (await rcpt("reply@heardback.localhost")).startswith("550 5.1.1")
        assert (await rcpt(f"reply+{token}@elsewhere.example")).startswith("550 5.1.1")
        envelope = Envelope()
        assert (await rcpt(f"reply+{token}@heardback.localhost", envelope)).startswith("250")
        assert (await rcpt(f"reply+{token}@heardback.localhost", envelope)).startswith("452")
    finally:
        inbound.stop()


def test_no_listener_without_a_port_or_link_keys(tmp_path: Path) -> None:
    holder = ClientHolder(make_settings(tmp_path))
    no_port = make_settings(tmp_path, link_keys=SecretStr(KEY))
    no_keys = make_settings(
        tmp_path, inbound_smtp_port=free_port(), link_keys_file=tmp_path / "absent"
    )
    assert inbound_from_settings(no_port, holder) is None
    assert inbound_from_settings(no_keys, holder) is None


# --- the listener against a real worker --------------------------------------------------------


def wire(msg: EmailMessage) -> bytes:
    """The message as a mail client sends it (CRLF line ends: smtplib sends bytes as they are)."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


@dataclass
class Listener:
    settings: Settings
    hb: HeardbackClient
    inbound: InboundReplies
    signer: LinkSigner
    outbox: Path

    def address(self, workflow_id: str, interview_id: str, *, valid: timedelta) -> str:
        token = self.signer.sign_reply(workflow_id, interview_id, datetime.now(UTC) + valid)
        local, _, domain = self.settings.reply_address.partition("@")
        return f"{local}+{token}@{domain}"

    async def send(self, rcpt: str, msg: EmailMessage, *, mail_from: str = INTERVIEWER) -> None:
        port = self.settings.inbound_smtp_port
        assert port is not None

        def conversation() -> None:
            with smtplib.SMTP(self.settings.inbound_smtp_host, port, timeout=30) as smtp:
                smtp.sendmail(mail_from, [rcpt], wire(msg))

        await asyncio.to_thread(conversation)  # the loop stays free for the listener's work


@pytest.fixture(scope="module")
async def listener(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Listener]:
    env, _ = devserver
    tmp = tmp_path_factory.mktemp("inbound")
    settings = make_settings(
        tmp,
        worker_build_id="test",
        link_keys=SecretStr(KEY),
        inbound_smtp_port=free_port(),
        webhook_dedupe_path=tmp / "webhooks.sqlite3",
    )
    hb = HeardbackClient(env.client, task_queue=settings.task_queue)
    inbound = inbound_from_settings(settings, ClientHolder(settings, hb))
    assert inbound is not None
    async with running(build_worker(env.client, settings), env.client, settings):
        inbound.start()
        try:
            yield Listener(settings, hb, inbound, LinkSigner([KEY]), settings.outbox_dir)
        finally:
            inbound.stop()


def outbox_of(listener: Listener, workflow_id: str, kind: str) -> list[EmailMessage]:
    return [
        m
        for m in read_outbox(listener.outbox)
        if m["X-Heardback-Candidacy"] == workflow_id and str(m["X-Heardback-Kind"]).startswith(kind)
    ]


async def wait_for_mail(
    listener: Listener, workflow_id: str, kind: str, timeout: float = 15.0
) -> EmailMessage:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := outbox_of(listener, workflow_id, kind)):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no {kind} for {workflow_id} in the outbox")
        await asyncio.sleep(0.05)
    return found[0]


@dataclass
class Candidacy:
    workflow_id: str
    interview_id: str
    reminder: EmailMessage


async def candidacy_waiting_for_feedback(listener: Listener, locale: str = "en") -> Candidacy:
    inp = candidacy_input(
        role={"id": f"r-{uuid.uuid4().hex[:8]}", "locale": locale},
        candidate={"name": CANDIDATE, "email": "grace@example.org"},
    )
    workflow_id = await listener.hb.start_candidacy(inp)
    await listener.hb.record_interview(
        inp.role.id,
        inp.candidate.id,
        InterviewCompleted(
            interview_id="i-1",
            stage="screen",
            interviewer_email=INTERVIEWER,
            duration=timedelta(hours=1),
        ),
    )
    reminder = await wait_for_mail(listener, workflow_id, "feedback_reminder")
    assert reminder["To"] == INTERVIEWER
    return Candidacy(workflow_id, "i-1", reminder)


def reply(c: Candidacy, rcpt: str, new: str, *, sender: str = INTERVIEWER) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Ada Lovelace <{sender}>"
    msg["To"] = rcpt
    msg["Subject"] = f"Re: {c.reminder['Subject']}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="mail.acme.example")
    msg["In-Reply-To"] = c.reminder["Message-ID"]
    msg["References"] = c.reminder["Message-ID"]
    msg.set_content(realistic_reply(new, quoted=body_of(c.reminder)))
    return msg


async def interview_of(listener: Listener, c: Candidacy) -> PageInterview:
    view = await listener.hb.page_view(c.workflow_id)
    return next(iv for iv in view.interviews if iv.interview_id == c.interview_id)


@pytest.mark.devserver
async def test_a_reply_records_the_new_lines_once_and_is_answered_once(
    listener: Listener,
) -> None:
    c = await candidacy_waiting_for_feedback(listener)
    rcpt = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    msg = reply(c, rcpt, "\n".join(f"- {line}" for line in NEW_LINES))
    await listener.send(rcpt, msg)

    interview = await interview_of(listener, c)
    assert interview.feedback == NEW_LINES  # nothing of the signature or the quote
    answer = await wait_for_mail(listener, c.workflow_id, "reply_answer")
    assert answer["To"] == INTERVIEWER
    assert answer["In-Reply-To"] == msg["Message-ID"]
    assert msg["Message-ID"] in str(answer["References"])
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["Reply-To"] == rcpt.lower()
    text = body_of(answer)
    for line in NEW_LINES:
        assert line in text
    assert "Grace will receive this" in text
    assert c.workflow_id not in text and "i-1" not in text  # names, never ids

    await listener.send(rcpt, msg)  # redelivered: neither re-applied nor re-answered
    assert (await interview_of(listener, c)).feedback == NEW_LINES
    await asyncio.sleep(0.3)
    assert len(outbox_of(listener, c.workflow_id, "reply_answer")) == 1


@pytest.mark.devserver
async def test_a_reply_from_anyone_else_is_refused_and_records_nothing(
    listener: Listener,
) -> None:
    c = await candidacy_waiting_for_feedback(listener)
    rcpt = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    forged = reply(c, rcpt, NEW_LINES[0], sender="someone@elsewhere.example")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await listener.send(rcpt, forged, mail_from="someone@elsewhere.example")
    assert refused.value.smtp_code == 550
    assert b"only from the interviewer" in refused.value.smtp_error
    assert (await interview_of(listener, c)).feedback == []
    assert outbox_of(listener, c.workflow_id, "reply_answer") == []


async def test_a_reply_that_only_writes_the_interviewers_address_in_from_is_refused(
    listener: Listener,
) -> None:
    """Found in review: the From header alone is anyone's to write. The envelope sender must be
    the same address (or the MX named by HEARDBACK_INBOUND_AUTHSERV_ID must report DMARC pass;
    an Authentication-Results header written by the sender counts for nothing)."""
    c = await candidacy_waiting_for_feedback(listener)
    rcpt = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    forged = reply(c, rcpt, NEW_LINES[0])  # From: the interviewer
    forged["Authentication-Results"] = "mx.acme.example; dmarc=pass header.from=acme.example"
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await listener.send(rcpt, forged, mail_from="someone@elsewhere.example")
    assert refused.value.smtp_code == 550
    assert (await interview_of(listener, c)).feedback == []


def test_dmarc_is_trusted_only_from_the_configured_mx() -> None:
    from heardback.gateway.inbound import _authentic

    msg = EmailMessage()
    msg["From"] = INTERVIEWER
    msg["Authentication-Results"] = (
        f"mx.acme.example; spf=fail; dmarc=pass header.from={INTERVIEWER.rpartition('@')[2]}"
    )
    assert _authentic(msg, INTERVIEWER, INTERVIEWER, None)  # envelope = From
    assert not _authentic(msg, INTERVIEWER, "bounce@relay.example", None)
    assert _authentic(msg, INTERVIEWER, "bounce@relay.example", "mx.acme.example")
    assert not _authentic(msg, INTERVIEWER, "bounce@relay.example", "mx.other.example")


@pytest.mark.devserver
async def test_a_tampered_or_expired_reply_address_is_refused_at_rcpt(
    listener: Listener,
) -> None:
    c = await candidacy_waiting_for_feedback(listener)
    good = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    local, _, domain = good.partition("@")
    flipped = "b" if local[-5] != "b" else "c"
    tampered = f"{local[:-5]}{flipped}{local[-4:]}@{domain}"
    expired = listener.address(c.workflow_id, c.interview_id, valid=-timedelta(minutes=1))
    for rcpt, reason in ((tampered, b"not valid"), (expired, b"expired")):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            await listener.send(rcpt, reply(c, rcpt, NEW_LINES[0]))
        code, text = refused.value.recipients[rcpt]
        assert code == 550 and reason in text and b"link in the reminder" in text
    assert (await interview_of(listener, c)).feedback == []


@pytest.mark.devserver
async def test_lines_screening_refuses_are_answered_with_the_problem(
    listener: Listener,
) -> None:
    c = await candidacy_waiting_for_feedback(listener)
    rcpt = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    await listener.send(rcpt, reply(c, rcpt, "Not a culture fit."))
    answer = await wait_for_mail(listener, c.workflow_id, "reply_answer")
    text = body_of(answer)
    assert "Nothing was recorded yet" in text and '"Not a culture fit."' in text
    (finding,) = screening.screen(["Not a culture fit."], "en")
    assert f"{finding.message} Instead: {finding.suggestion}" in text  # the problem, and a fix
    assert "Reply to this email again" in text
    assert (await interview_of(listener, c)).feedback == []

    # Replying again with the corrected lines (to the answer: it carries the same address).
    again = reply(c, rcpt, NEW_LINES[0])
    await listener.send(str(answer["Reply-To"]), again)
    assert (await interview_of(listener, c)).feedback == [NEW_LINES[0]]


@pytest.mark.devserver
async def test_a_reply_without_new_text_or_from_an_autoresponder(listener: Listener) -> None:
    c = await candidacy_waiting_for_feedback(listener, locale="de")
    rcpt = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    out_of_office = reply(c, rcpt, "I am out of the office until Monday.")
    out_of_office["Auto-Submitted"] = "auto-replied"
    await listener.send(rcpt, out_of_office)  # accepted, never recorded, never answered
    await listener.send(rcpt, reply(c, rcpt, ""))
    answer = await wait_for_mail(listener, c.workflow_id, "reply_answer")
    assert answer["Content-Language"] == "de"  # the staff's language
    assert body_of(answer).startswith("Guten Tag,")
    assert str(answer["Subject"]).startswith("Re: ")
    assert (await interview_of(listener, c)).feedback == []
    assert len(outbox_of(listener, c.workflow_id, "reply_answer")) == 1


@pytest.mark.devserver
async def test_temporal_unreachable_defers_the_reply(listener: Listener, tmp_path: Path) -> None:
    c = await candidacy_waiting_for_feedback(listener)
    rcpt = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    down = make_settings(
        tmp_path,
        temporal_address=f"127.0.0.1:{free_port()}",  # nothing listens there
        link_keys=SecretStr(KEY),
        inbound_smtp_port=free_port(),
        webhook_dedupe_path=tmp_path / "webhooks.sqlite3",
    )
    cut_off = inbound_from_settings(down, ClientHolder(down))
    assert cut_off is not None
    cut_off.start()
    try:
        msg = reply(c, rcpt, NEW_LINES[0])
        port = down.inbound_smtp_port
        assert port is not None

        def conversation() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                smtp.sendmail(INTERVIEWER, [rcpt], wire(msg))

        with pytest.raises(smtplib.SMTPDataError) as deferred:
            await asyncio.to_thread(conversation)
        assert deferred.value.smtp_code == 451 and b"try again later" in deferred.value.smtp_error
    finally:
        cut_off.stop()
    # The sender's MTA retries, here to the listener that reaches Temporal: applied then.
    await listener.send(rcpt, msg)
    assert (await interview_of(listener, c)).feedback == [NEW_LINES[0]]


@pytest.mark.devserver
async def test_a_reply_larger_than_the_limit_is_refused(listener: Listener) -> None:
    c = await candidacy_waiting_for_feedback(listener)
    rcpt = listener.address(c.workflow_id, c.interview_id, valid=timedelta(days=30))
    huge = reply(c, rcpt, NEW_LINES[0])
    huge.add_attachment(b"x" * listener.settings.inbound_max_bytes, "application", "octet-stream")
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        await listener.send(rcpt, huge)
    assert refused.value.smtp_code == 552
    assert (await interview_of(listener, c)).feedback == []
