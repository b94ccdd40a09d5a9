"""Mail every server accepts and every phone shows well, and what SMTP answers mean.

Against a real aiosmtpd server on loopback: stock aiosmtpd answers 500 to a line over 1,000
octets, as RFC 5321 allows, so a long feedback line sent raw never arrives.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage, Message
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any, cast

import pytest
import structlog
from temporalio.exceptions import ApplicationError

from heardback.activities import transport as transport_module
from heardback.activities.delivery import DeliveryActivities
from heardback.activities.ledger import SqliteLedger
from heardback.activities.mime import compose, opaque_message_id, text_to_html
from heardback.activities.render import Renderer
from heardback.activities.transport import SmtpTransport
from heardback.workflows.errors import (
    MessageRefusedError,
    TransientDeliveryError,
    UndeliverableError,
)
from heardback.workflows.models import DeliveryRequest
from tests.conftest import free_port
from tests.test_delivery import request

SENDER = "hiring@heardback.localhost"
FROM = f"Acme hiring team <{SENDER}>"
TO = "ada@example.org"
# One feedback line of 1,600 characters, as an interviewer might paste it.
LONG_LINE = (
    "Strong systems thinking; walked us through the cache invalidation trade-offs & the "
    "<retry> budget in detail. "
) * 16
assert len(LONG_LINE) > 1_600
LONG_LINE = LONG_LINE[:1_600]
# 5,000 characters of mixed scripts on one line (no line break anywhere).
MIXED = ("Größe ✓ très bien — 日本語のフィードバック, مراجعة جيدة, 🎉 naïve café; ") * 100
MIXED = MIXED[:5_000]
LONG_URL = "https://acme.example/feedback/" + "a1b2c3" * 200  # one unbroken token
REFUSED_SENDER = f"553 5.7.1 <{SENDER}>: Sender address rejected"


# --- a real SMTP server that answers what a test tells it ----------------------------------------


class Answers:
    """aiosmtpd handler: MAIL, RCPT and DATA answer `mail`, `rcpt`, `data` when set (a reply
    line such as "554 5.6.0 Message refused"), else accept. Keeps the raw bytes it took."""

    def __init__(self) -> None:
        self.mail: str | None = None
        self.rcpt: str | None = None
        self.data: str | None = None
        self.raw: list[bytes] = []
        self.mail_options: list[list[str]] = []

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.mail:
            return self.mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt:
            return self.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data:
            return self.data
        self.raw.append(bytes(envelope.original_content))
        self.mail_options.append(list(envelope.mail_options))
        return "250 Message accepted for delivery"

    def parsed(self, index: int = -1) -> EmailMessage:
        msg = email.message_from_bytes(self.raw[index], policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class Server:
    def __init__(self, **smtp_options: Any) -> None:
        from aiosmtpd.controller import Controller

        self.host = "127.0.0.1"
        self.port = free_port()
        self.answers = Answers()
        self._controller = Controller(
            self.answers, hostname=self.host, port=self.port, **smtp_options
        )
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def transport(self) -> SmtpTransport:
        return SmtpTransport(host=self.host, port=self.port, timeout=5.0)


@pytest.fixture
def server() -> Iterator[Server]:
    """Stock aiosmtpd: its own line and size limits; offers 8BITMIME and SMTPUTF8."""
    srv = Server()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def ascii_server() -> Iterator[Server]:
    """aiosmtpd without SMTPUTF8."""
    srv = Server(enable_SMTPUTF8=False)
    try:
        yield srv
    finally:
        srv.stop()


def composed(
    text: str, *, to: str = TO, subject: str = "Your application at Acme", lang: str = "en"
) -> Message:
    return compose(
        subject=subject,
        text=text,
        lang=lang,
        headers=[
            ("From", FROM),
            ("To", to),
            ("Message-ID", opaque_message_id("candidacy-r1-c1.003.rejection", "heardback.test")),
        ],
    )


def feedback_text(line: str) -> str:
    return (
        "Hi Ada Lovelace,\n\nThank you for your time.\n\nFeedback from your technical round:\n"
        f"  - {line}\n  - Clear trade-offs.\n\nBest wishes,\nThe Acme hiring team\n"
    )


def plain_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def words_of_html(markup: str) -> list[str]:
    return html.unescape(re.sub(r"<[^>]*>", " ", markup)).split()


def words_of_text(text: str) -> list[str]:
    """The words a reader sees: list markers ("- ", "  - ") are bullets in HTML."""
    return [w for line in text.splitlines() for w in re.sub(r"^(  )?- ", "", line).split()]


def assert_wire_safe(raw: bytes) -> None:
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998, max(len(line) for line in lines)
    assert raw.isascii(), "7bit on the wire"


# --- long lines: refused raw, accepted composed ---------------------------------------------------


def test_a_stock_server_refuses_a_raw_1600_character_line(server: Server) -> None:
    raw = f"From: {SENDER}\r\nTo: {TO}\r\nSubject: x\r\n\r\n{LONG_LINE}\r\n".encode("ascii")
    with (
        smtplib.SMTP(server.host, server.port, timeout=5) as smtp,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        smtp.sendmail(SENDER, [TO], raw)
    assert refused.value.smtp_code == 500
    assert b"too long" in refused.value.smtp_error.lower()
    assert server.answers.raw == []


async def test_the_old_raw_encoding_is_refused_for_good_not_retried_forever(
    server: Server,
) -> None:
    # What the renderer produced before compose(): text/plain as is, lines up to 998 allowed.
    old = MIMEText(
        feedback_text(LONG_LINE), "plain", "us-ascii", policy=email.policy.compat32.clone()
    )
    old["From"], old["To"], old["Subject"] = FROM, TO, "Your application"
    with pytest.raises(MessageRefusedError, match="500"):
        await server.transport().send("m-old", old)
    assert server.answers.raw == []


@pytest.mark.parametrize(
    ("line", "lang"), [(LONG_LINE, "en"), (MIXED, "ja"), (f"See {LONG_URL} for more.", "en")]
)
async def test_a_composed_message_with_a_huge_line_arrives_whole(
    server: Server, line: str, lang: str
) -> None:
    text = feedback_text(line)
    accepted: list[bool] = []
    await server.transport().send("m-1", composed(text, lang=lang), lambda: accepted.append(True))
    assert accepted == [True]
    [raw] = server.answers.raw
    assert_wire_safe(raw)
    # No extension asked for: the message needs neither 8BITMIME nor SMTPUTF8.
    assert not any("8BITMIME" in opt or "SMTPUTF8" in opt for opt in server.answers.mail_options[0])
    received = server.answers.parsed()
    assert received.get_content_type() == "multipart/alternative"
    assert f"  - {line}" in plain_of(received).splitlines()
    assert plain_of(received).replace("\r\n", "\n") == text
    assert html.escape(line.split(" http", maxsplit=1)[0].strip()) in html_of(received)
    assert words_of_html(html_of(received)) == words_of_text(text)
    assert received["Content-Language"] == lang


async def test_a_long_unbroken_url_stays_one_link(server: Server) -> None:
    await server.transport().send("m-1", composed(feedback_text(f"See {LONG_URL}.")))
    page = html_of(server.answers.parsed())
    assert f'<a href="{LONG_URL}">{LONG_URL}</a>.' in page  # the full stop stays outside


def test_short_ascii_text_is_7bit_and_anything_else_quoted_printable() -> None:
    short = composed("Hi Ada,\n\nThanks.\n")
    assert isinstance(short, EmailMessage)
    parts = {p.get_content_type(): p for p in short.iter_parts()}
    assert parts["text/plain"]["Content-Transfer-Encoding"] == "7bit"
    assert parts["text/html"]["Content-Transfer-Encoding"] == "quoted-printable"
    assert parts["text/plain"].get_content_charset() == "utf-8"
    for text in ("Grüße,\nAcme\n", "x" * 77 + "\n"):
        msg = composed(text)
        assert isinstance(msg, EmailMessage)
        [plain] = [p for p in msg.iter_parts() if p.get_content_type() == "text/plain"]
        assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert_wire_safe(short.as_bytes(policy=short.policy.clone(linesep="\r\n")))


# --- the HTML part -------------------------------------------------------------------------------


def test_the_html_part_says_what_the_text_says_and_loads_nothing() -> None:
    text = feedback_text('Good use of <b>tags</b> & "quotes"; see https://acme.example/x?a=1&b=2')
    page = text_to_html(text, "de")
    assert words_of_html(page) == words_of_text(text)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="de"' in page
    assert '<meta charset="utf-8">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<b>" not in page and "&lt;b&gt;tags&lt;/b&gt;" in page
    assert '<a href="https://acme.example/x?a=1&amp;b=2">' in page
    assert "<ul" in page and page.count("<li>") == 2
    assert page.count("<p>") == 4  # greeting, thanks, heading, sign-off
    lowered = page.lower()
    for loads in ("<script", "<img", "<link", "<iframe", "src=", "@import", "url(", "<style"):
        assert loads not in lowered
    # Every URL in the page is a link the reader may follow, never something fetched.
    assert "http" not in re.sub(r"<a href=\"[^\"]*\">[^<]*</a>", "", page)


def test_an_rtl_language_reads_right_to_left() -> None:
    assert 'dir="rtl"' in text_to_html("مرحبا\n", "ar")
    assert 'dir="ltr"' in text_to_html("Hello\n", "en_GB")


# --- headers -------------------------------------------------------------------------------------


async def test_non_ascii_headers_are_encoded_words_and_ids_fold_between_ids(
    server: Server,
) -> None:
    ids = [
        opaque_message_id(f"candidacy-r1-c1.{n:03d}.status_update", "heardback.test")
        for n in range(20)
    ]
    subject = "ご応募ありがとうございます — Ihre Bewerbung für Backend-Entwicklerin bei Müller"
    msg = compose(
        subject=subject,
        text="Hallo\n",
        lang="de",
        headers=[
            ("From", f"Müller GmbH Recruiting <{SENDER}>"),
            ("To", TO),
            ("Reply-To", '"Acme, Inc." <hiring@acme.example>'),
            ("Message-ID", ids[-1]),
            ("In-Reply-To", ids[0]),
            ("References", " ".join(ids[:-1])),
        ],
    )
    await server.transport().send("m-1", msg)
    [raw] = server.answers.raw
    assert_wire_safe(raw)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert b"=?utf-8?" in head  # encoded words, not raw UTF-8
    received = server.answers.parsed()
    assert received["Subject"] == subject
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Müller GmbH Recruiting", SENDER)
    assert received["Reply-To"].addresses[0].display_name == "Acme, Inc."
    assert str(received["References"]).split() == ids[:-1]
    assert str(received["Message-ID"]) == ids[-1]
    assert str(received["In-Reply-To"]) == ids[0]


@pytest.mark.parametrize(
    "headers",
    [
        [("From", FROM), ("To", TO), ("X-Note", "fine\r\nBcc: x@y")],
        [("From", "Evil\nBcc: x@y <a@b.example>"), ("To", TO)],
        [("From", FROM), ("To", f"{TO}\u2028Bcc: x@y")],
        [("From", FROM), ("To", TO), ("Bcc", "x@y.example")],
        [("From", FROM), ("To", "not an address")],
        [("From", FROM), ("To", TO), ("Message-ID", "<no-end@x")],
        [("From", FROM), ("To", TO), ("Message-ID", "<a@x>"), ("Message-ID", "<b@x>")],
        [("From", FROM), ("To", TO), ("Content-Type", "text/html")],
    ],
)
def test_a_header_that_could_inject_or_mislead_is_refused(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        compose(subject="Hello", text="Hi\n", lang="en", headers=headers)


def test_a_subject_with_a_line_break_cannot_add_a_bcc() -> None:
    with pytest.raises(ValueError, match="control characters"):
        compose(subject="Hello\r\nBcc: x@y", text="Hi\n", lang="en", headers=[("To", TO)])


# --- message ids ---------------------------------------------------------------------------------


def test_an_opaque_message_id_is_stable_and_says_nothing() -> None:
    internal = "candidacy-r1-c1.003.rejection"
    first = opaque_message_id(internal, "heardback.test")
    assert first == opaque_message_id(internal, "heardback.test")
    assert re.fullmatch(r"<[0-9a-f]{32}@heardback\.test>", first)
    local = first.split("@")[0]
    for word in re.split(r"[^A-Za-z0-9]+", internal):
        assert word not in local
    seen = set()
    for kind in ("rejection", "offer", "withdrawal_confirmation", "stage_result", "escalation"):
        made = opaque_message_id(f"candidacy-r-7-c-42.004.{kind}", "heardback.test")
        assert kind not in made and "candidacy" not in made
        seen.add(made)
    assert len(seen) == 5


# --- what the mail server's answers mean ---------------------------------------------------------


async def test_rcpt_550_is_a_bad_address(server: Server) -> None:
    server.answers.rcpt = "550 5.1.1 No such user here"
    with pytest.raises(UndeliverableError) as caught:
        await server.transport().send("m-1", composed("Hi\n"))
    assert type(caught.value) is UndeliverableError  # not "this message": the address


async def test_data_554_refuses_this_message_only(server: Server) -> None:
    server.answers.data = "554 5.6.0 Message content refused"
    with pytest.raises(MessageRefusedError, match=r"554 5\.6\.0"):
        await server.transport().send("m-1", composed("Hi\n"))


async def test_data_451_is_retried(server: Server) -> None:
    server.answers.data = "451 4.3.0 Try again later"
    with pytest.raises(TransientDeliveryError):
        await server.transport().send("m-1", composed("Hi\n"))


async def test_mail_553_is_retried_and_tells_the_operator_without_the_address(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our sender refused is our configuration: every message would fail alike, so none is
    skipped (that would drop every candidate's mail); retried, with an error an operator sees."""
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(transport_module, "log", captured)
    server.answers.mail = REFUSED_SENDER
    with pytest.raises(TransientDeliveryError, match="sender"):
        await server.transport().send("m-1", composed("Hi\n"))
    [call] = captured.calls
    assert call.method_name == "error"
    assert call.args == ("smtp_sender_refused",)
    assert call.kwargs["smtp_code"] == 553
    assert call.kwargs["setting"] == "HEARDBACK_MAIL_FROM"
    assert "@" not in repr(call.kwargs), "no address in the log"


async def test_a_non_ascii_address_needs_a_server_that_offers_smtputf8(
    ascii_server: Server, server: Server
) -> None:
    to = "jösé@example.org"
    with pytest.raises(UndeliverableError, match="non-ASCII address") as caught:
        await ascii_server.transport().send("m-1", composed("Hi\n", to=to))
    assert type(caught.value) is UndeliverableError
    assert ascii_server.answers.raw == []
    await server.transport().send("m-1", composed("Hi\n", to=to))
    [options] = server.answers.mail_options
    assert "SMTPUTF8" in options  # (with BODY=8BITMIME: the address is 8-bit in the header)
    head = server.answers.raw[0].split(b"\r\n\r\n", 1)[0]
    assert f"To: {to}\r\n".encode() in head  # as is, in UTF-8 (RFC 6532)


# --- the delivery activity -----------------------------------------------------------------------


class ComposingRenderer:
    """What the activity gets from the renderer: a compose()d message (the templates are
    not this file's subject)."""

    def render(self, req: DeliveryRequest) -> Message:
        msg = req.message
        return compose(
            subject=f"Your application at {msg.content.company}",
            text=feedback_text(LONG_LINE),
            lang="en",
            headers=[
                ("From", FROM),
                ("To", msg.to_email),
                ("Message-ID", opaque_message_id(msg.message_id, "heardback.test")),
            ],
        )


async def test_a_refused_message_fails_for_good_and_the_next_one_still_goes_out(
    server: Server, tmp_path: Path
) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    acts = DeliveryActivities(
        transport=server.transport(),
        ledger=ledger,
        renderer=cast(Renderer, ComposingRenderer()),
    )
    server.answers.data = "554 5.6.0 Message content refused"
    refused = request("rejection", seq=3)
    with pytest.raises(ApplicationError) as caught:
        await acts.deliver(refused)
    assert caught.value.type == "MessageRefused"
    assert caught.value.non_retryable
    entry = await ledger.get(refused.message.message_id)
    assert entry is None or entry.status != "delivered"
    # Same address, next message: it still goes out.
    server.answers.data = None
    receipt = await acts.deliver(request("feedback_update", seq=4))
    assert not receipt.duplicate
    assert len(server.answers.raw) == 1
    entry = await ledger.get(request("feedback_update", seq=4).message.message_id)
    assert entry is not None and entry.status == "delivered"
