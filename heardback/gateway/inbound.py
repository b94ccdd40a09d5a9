"""Replies by email: an interviewer answers a feedback reminder, and the lines are recorded.

A feedback reminder says ``Reply-To: <local>+<token>@<domain>`` of ``reply_address``, the token
a signed, expiring reply token for one interview of one candidacy
(:meth:`heardback.runtime.links.LinkSigner.sign_reply`). :class:`InboundReplies` listens for
those replies over SMTP (aiosmtpd; production puts it behind the company's MX or a provider's
inbound route) and refuses in the conversation what can be refused there, so the sender's own
mail system tells them, and nobody else is ever written to (no backscatter):

- ``RCPT TO`` another address, or a token that does not verify, has expired or was revoked:
  ``550 5.1.1`` with a plain reason; more than one reply address in one message: ``452``
  (the sender's MTA sends the rest separately);
- a message larger than ``inbound_max_bytes``: ``552`` (aiosmtpd's SIZE limit);
- ``DATA`` whose From is not the interviewer the reminder went to (the address the workflow
  holds): ``550 5.7.1``; a candidacy or interview heardback no longer knows: ``550 5.1.1``;
- Temporal unreachable or busy, or the answer could not be handed over: ``451 4.3.0``, so the
  sender's MTA retries and nothing is lost.

Anything else is accepted (250) and answered by mail, to the interviewer's address as the
workflow holds it, threaded under their reply, in the staff's language
(templates/mail/reply_answer.txt.j2): the lines recorded and when the candidate gets them, or
why nothing was recorded (screening's findings with a suggestion each, no new text, the
application closed, too many or too long lines) and that replying again works. Automatic mail
(out-of-office notices, bounces: ``Auto-Submitted``, ``Precedence``, an empty envelope sender) is
accepted and dropped, never recorded and never answered (RFC 3834).

Only the new text counts: the text/plain part (else the HTML part, made text), format=flowed
unwrapped, quoted history and signatures removed by mail-parser-reply (multi-language "On ...
wrote:" / "Am ... schrieb" headers, Outlook header blocks, "-- " signatures, "Sent from my
phone"), and quoted ``>`` lines dropped whatever the parser made of them; then one feedback line
per non-empty line, bullets trimmed.

Each inbound message is handled once: its key (the SHA-256 of the token and its Message-ID, or
of its bytes without one) is claimed in a :class:`~heardback.gateway.webhooks.DedupeStore` of
its own, the update is sent with ``request_id="reply-<key>"`` (Temporal applies an update id
once), and the answer has a Message-ID derived from the key and is recorded as sent only after
it was handed over: a redelivered message neither re-applies nor re-answers.

Logs carry ids and outcomes only (``heardback.inbound``), never names, addresses or text.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import email
import email.policy
import hashlib
import logging
import re
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html.parser import HTMLParser
from typing import Any, TypeVar

import structlog
from mailparser_reply.parser import (  # type: ignore[import-untyped]  # ships no type hints
    EmailMessage as ParsedReply,
)
from pydantic import ValidationError

from heardback.activities.mime import compose, opaque_message_id
from heardback.activities.transport import Transport
from heardback.gateway.deps import ClientHolder
from heardback.gateway.i18n import Reader, reader
from heardback.gateway.webhooks import DedupeStore
from heardback.runtime.links import Link, LinkRefused, LinkSigner, link_digest
from heardback.runtime.settings import Settings, link_keys
from heardback.worker.wiring import build_transport
from heardback.workflows import contract, screening
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import (
    HeardbackError,
    InvalidInput,
    NotFound,
    Refused,
    UndeliverableError,
)
from heardback.workflows.models import PageInterview, PageView, SubmitFeedback, Via
from heardback.workflows.policy import DONE_STATES

__all__ = [
    "InboundReplies",
    "ReplyAddress",
    "feedback_lines",
    "html_to_text",
    "inbound_from_settings",
    "new_text",
    "render_answer",
    "reply_text",
]

log = structlog.get_logger("heardback.inbound")

T = TypeVar("T")

# --- the SMTP answers ----------------------------------------------------------------------------

OK = "250 2.0.0 thank you: an answer is on its way"
OK_DUPLICATE = "250 2.0.0 already handled"
OK_AUTOMATIC = "250 2.0.0 automatic mail is not recorded"
RCPT_OK = "250 2.1.5 OK"
NOT_OURS = (
    "550 5.1.1 this reply address is not valid or has expired; use the link in the reminder instead"
)
REVOKED = "550 5.1.1 this reply address was withdrawn; use the link in the reminder instead"
ONE_ADDRESS = "452 4.5.3 one reply address per message; send the others separately"
WRONG_SENDER = (
    "550 5.7.1 replies to this address are accepted only from the interviewer it was sent to"
)
GONE = "550 5.1.1 this reply address is no longer in use: the application it was for is gone"
UNKNOWN_INTERVIEW = (
    "550 5.1.1 this reply address is not valid for any interview; "
    "use the link in the reminder instead"
)
TRY_LATER = "451 4.3.0 try again later"

LANGUAGES = ("en", "de", "fr", "es")  # the shipped languages: their quote and signature markers
MAX_LINES = 50  # as SubmitFeedback allows (feedback: 1..50 lines of 1..2000 characters)
MAX_LINE_CHARS = 2000
HANDLE_TIMEOUT = 60.0  # seconds for one message, well inside an MTA's DATA timeout
ANSWER_TEMPLATE = "mail/reply_answer.txt.j2"


class _SmtpRefusal(Exception):
    """Answer the conversation with `reply` (a 5xx), record nothing, write to nobody."""

    def __init__(self, reply: str, outcome: str) -> None:
        super().__init__(reply)
        self.reply = reply
        self.outcome = outcome  # what the log says


# --- the reply address -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyAddress:
    """``reply_address`` with a token as its subaddress: ``<local>+<token>@<domain>``."""

    local: str
    domain: str

    @classmethod
    def parse(cls, address: str) -> ReplyAddress:
        local, at, domain = address.strip().rpartition("@")
        if not at or not local or not domain or "+" in local:
            raise ValueError("reply_address must be local@domain, without a '+'")
        return cls(local, domain)

    def token_of(self, address: str) -> str | None:
        """The token of a recipient address, or None if it is not one of ours (local part and
        domain compared case-insensitively; the token is case-insensitive too)."""
        local, at, domain = address.strip().strip("<>").rpartition("@")
        base, plus, token = local.partition("+")
        if not at or not plus or not token:
            return None
        if base.lower() != self.local.lower() or domain.lower() != self.domain.lower():
            return None
        return token.lower()

    def with_token(self, token: str) -> str:
        return f"{self.local}+{token}@{self.domain}"


# --- the new text of a reply -----------------------------------------------------------------

# Characters that never reach a feedback line: C0/C1 controls (tabs and line ends are handled
# first), zero-width and bidirectional controls, the BOM.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
_BULLET = re.compile(r"^(?:[-*\u2022\u00b7\u2013\u2014+]|\d{1,2}[.)])\s+")
# A salutation alone on the first line ("Hi,", "Dear hiring team,", "Hallo zusammen"): not for
# the candidate.
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|hallo|liebe|lieber|moin|guten tag|bonjour|salut|hola|"
    r"buenos d[ií]as)(?:(?:\s+[^\s,.!?:;]+){0,2}\s*[,!:]|(?:\s+[^\s,.!?:;]+)?)$",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^(?:--|__)\s*$")


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def unflow(text: str, *, delsp: bool = False) -> str:
    """RFC 3676 format=flowed made into its logical lines (a line ending in a space goes on)."""
    out: list[str] = []
    pending = ""
    for raw in text.split("\n"):
        line = raw.removeprefix(" ") if not raw.startswith(">") else raw  # space-stuffing
        if line.endswith(" ") and line.rstrip() != "--" and not line.startswith(">"):
            pending += line[:-1] if delsp else line
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


class _HtmlText(HTMLParser):
    """The visible text of an HTML body, blocks on lines of their own; quoted history
    (blockquote, Gmail's quote, Outlook's reply header and all after it) and signatures left
    out."""

    _SKIP = frozenset({"blockquote", "style", "script", "head", "title", "template"})
    _SKIP_CLASSES = ("gmail_quote", "gmail_signature", "moz-cite-prefix", "moz-signature")
    _STOP_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "stopspelling"})
    _BLOCK = frozenset(
        {
            "p", "div", "br", "li", "tr", "ul", "ol", "table", "section", "article", "header",
            "footer", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "dd", "dt",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        values = {k: (v or "").lower() for k, v in attrs}
        if values.get("id") in self._STOP_IDS:
            self._stopped = True
            return
        classes = values.get("class", "")
        if tag in self._SKIP or any(c in classes for c in self._SKIP_CLASSES):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if self._stopped:
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._stopped and self._skip_tag is None:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """An HTML body as plain text: one line per block or <br>, quoted history left out."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def reply_text(msg: EmailMessage) -> str:
    """The body a person wrote: the text/plain part (format=flowed unwrapped), else the HTML
    part as text; "" when there is neither."""
    part = msg.get_body(preferencelist=("plain",))
    if isinstance(part, EmailMessage):
        text = _decoded(part).replace("\r\n", "\n").replace("\r", "\n")
        if str(part.get_param("format") or "").lower() == "flowed":
            text = unflow(text, delsp=str(part.get_param("delsp") or "").lower() == "yes")
        return text
    part = msg.get_body(preferencelist=("html",))
    if isinstance(part, EmailMessage):
        return html_to_text(_decoded(part))
    return ""


def new_text(text: str) -> str:
    """Only what the reply adds: quoted history and signatures removed (mail-parser-reply),
    then every quoted line and the attribution line before a quote dropped in any case."""
    text = text.replace("\r\n", "\n").replace("\xa0", " ")
    parsed = ParsedReply(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    if not parsed.replies:
        return ""
    first = parsed.replies[0]
    if first.headers:  # the text starts with quoted history: nothing new above it
        return ""
    lines = str(first.body).split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if _SIGNATURE_DELIMITER.match(stripped):
            break  # a signature the parser did not take
        following = next((x.strip() for x in lines[i + 1 :] if x.strip()), "")
        if stripped.endswith(":") and following.startswith(">"):
            continue  # "On ..., someone wrote:" in a form the parser does not know
        kept.append(line)
    return "\n".join(kept).strip()


def feedback_lines(text: str) -> list[str]:
    """One feedback line per non-empty line of the new text: bullets trimmed, invisible
    characters removed, a greeting on the first line left out, repeats once."""
    out: list[str] = []
    for raw in text.split("\n"):
        line = _INVISIBLE.sub("", raw.replace("\t", " ").replace("\xa0", " ")).strip()
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        if not out and _GREETING.match(line):
            continue
        if line not in out:
            out.append(line)
    return out


def _is_automatic(msg: EmailMessage, mail_from: str) -> bool:
    """An out-of-office notice, a bounce or list traffic: never recorded, never answered."""
    auto = str(msg.get("Auto-Submitted") or "").strip().lower()
    precedence = str(msg.get("Precedence") or "").strip().lower()
    return (
        not mail_from.strip("<>")
        or (auto != "" and not auto.startswith("no"))
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or msg.get_content_type() == "multipart/report"
    )


def _authentic(msg: EmailMessage, sender: str, mail_from: str, authserv_id: str | None) -> bool:
    """Whether the From address is the sender's own, not only written in the header: the
    envelope sender is the same address, or (HEARDBACK_INBOUND_AUTHSERV_ID set) the receiving
    MX, by that id, reported DMARC passing for the From domain. Authentication-Results from
    anyone else are ignored: a sender can write them too."""
    if mail_from.strip().strip("<>").lower() == sender:
        return True
    if not authserv_id:
        return False
    domain = sender.rpartition("@")[2]
    for header in msg.get_all("Authentication-Results") or []:
        served_by, _, results = str(header).partition(";")
        if served_by.strip().split()[0:1] != [authserv_id]:
            continue
        for result in results.split(";"):
            words = result.strip().lower().split()
            if (
                words
                and words[0] == "dmarc=pass"
                and any(w == f"header.from={domain}" for w in words[1:])
            ):
                return True
    return False


def _sender(msg: EmailMessage) -> str | None:
    """The one address in From, lower-cased; None when there is not exactly one."""
    try:
        header: Any = msg["From"]
        addresses = tuple(header.addresses) if header is not None else ()
    except (ValueError, TypeError, AttributeError, IndexError):
        return None
    if len(addresses) != 1 or not addresses[0].addr_spec:
        return None
    return str(addresses[0].addr_spec).lower()


_ID = re.compile(r"<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>")


def _thread(msg: EmailMessage) -> tuple[str | None, list[str]]:
    """(the inbound Message-ID, the References an answer to it carries)."""
    own = _ID.fullmatch(str(msg.get("Message-ID") or "").strip())
    message_id = own.group(0) if own else None
    earlier = _ID.findall(str(msg.get("References") or ""))
    refs = [*earlier[-9:], message_id] if message_id else earlier[-10:]
    return message_id, list(dict.fromkeys(refs))


def _first_name(name: str) -> str:
    return name.split(maxsplit=1)[0] if name.split() else name


# --- the listener ------------------------------------------------------------------------------


@dataclass
class _Answer:
    outcome: str
    context: dict[str, Any]
    reply_to_token: bool = True  # the answer's Reply-To is the same reply address


class InboundReplies:
    """The SMTP listener for replies to feedback reminders, and what is done with them.

    `start()` runs aiosmtpd's Controller (a thread of its own) on ``inbound_smtp_host`` and
    ``inbound_smtp_port``; the work a message needs (Temporal, the answer) runs on the event
    loop `start()` was called from (the gateway's), so the client and transport are used only
    there. `stop()` ends the listener and closes the dedupe store."""

    def __init__(
        self,
        settings: Settings,
        holder: ClientHolder,
        signer: LinkSigner,
        transport: Transport,
        seen: DedupeStore,
    ) -> None:
        self._settings = settings
        self._holder = holder
        self._signer = signer
        self._transport = transport
        self._seen = seen
        self._address = ReplyAddress.parse(settings.reply_address)
        self._revoked = frozenset(
            d.strip().lower() for d in settings.revoked_links.split(",") if d.strip()
        )
        self._controller: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle --

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Listen. Call from the event loop the work should run on (or pass it)."""
        from aiosmtpd.controller import Controller  # noqa: PLC0415  # the listener's own import

        if self._controller is not None:
            return
        # aiosmtpd logs every peer and command at INFO (addresses among them): ours say enough.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._loop = loop or asyncio.get_running_loop()
        port = self._settings.inbound_smtp_port
        if port is None:
            raise ValueError("HEARDBACK_INBOUND_SMTP_PORT is not set")
        controller = Controller(
            self,
            hostname=self._settings.inbound_smtp_host,
            port=port,
            server_hostname=self._address.domain,
            data_size_limit=self._settings.inbound_max_bytes,
            enable_SMTPUTF8=True,
            ident="heardback replies",
        )
        controller.start()
        self._controller = controller
        log.info("inbound_listening", host=self._settings.inbound_smtp_host, port=port)

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()
        with contextlib.suppress(Exception):
            self._seen.close()

    # -- the conversation (aiosmtpd handler hooks, on the listener's thread) --

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if envelope.rcpt_tos:
            return ONE_ADDRESS
        token = self._address.token_of(address)
        refusal = self._refusal(token)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return RCPT_OK

    def _refusal(self, token: str | None) -> str | None:
        """Why a recipient's token is refused (an SMTP answer), or None to accept it."""
        if token is None:
            log.info("inbound_refused", stage="rcpt", outcome="not_a_reply_address")
            return NOT_OURS
        try:
            self._signer.verify_reply(token)
        except LinkRefused as err:
            log.info("inbound_refused", stage="rcpt", outcome="token_refused")
            return f"550 5.1.1 {err.reason}; use the link in the reminder instead"
        if link_digest(token) in self._revoked:
            log.info("inbound_refused", stage="rcpt", outcome="token_revoked")
            return REVOKED
        return None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(envelope.rcpt_tos) != 1:
            return "503 5.5.1 no valid recipient"
        token = self._address.token_of(envelope.rcpt_tos[0])
        if token is None:  # checked at RCPT; never here
            return NOT_OURS
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
        mail_from = str(envelope.mail_from or "")
        return await self._on_owner_loop(self.receive(token, data, mail_from=mail_from))

    async def _on_owner_loop(self, work: Coroutine[Any, Any, str]) -> str:
        """Run `work` on the gateway's loop (where the client lives), with a time limit."""
        loop = self._loop
        bounded = asyncio.wait_for(work, HANDLE_TIMEOUT)
        try:
            if loop is None or loop is asyncio.get_running_loop():
                return await bounded
            try:
                future = asyncio.run_coroutine_threadsafe(bounded, loop)
            except RuntimeError:  # the gateway's loop is closing: the sender retries later
                bounded.close()
                work.close()
                return TRY_LATER
            return await asyncio.wrap_future(future)
        except (TimeoutError, concurrent.futures.CancelledError):
            log.warning("inbound_deferred", outcome="timeout")
            return TRY_LATER

    # -- one message --

    async def receive(self, token: str, data: bytes, *, mail_from: str) -> str:
        """Handle one message (its bytes) sent to ``<local>+<token>@<domain>`` by the envelope
        sender `mail_from`; the SMTP answer."""
        not_ours = self._refusal(token)  # checked at RCPT too; it may have expired since
        if not_ours is not None:
            return not_ours
        link = self._signer.verify_reply(token)
        # Parsing (up to HEARDBACK_INBOUND_MAX_BYTES, regexes of the reply parser) runs off the
        # gateway's event loop, so a large message never stalls its pages.
        msg = await asyncio.to_thread(email.message_from_bytes, data, policy=email.policy.default)
        if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default's class
            return "554 5.6.0 not a message"
        if _is_automatic(msg, mail_from):
            log.info("inbound_ignored", workflow_id=link.workflow_id, outcome="automatic")
            return OK_AUTOMATIC
        message_id, _ = _thread(msg)
        key = hashlib.sha256(
            token.encode() + b"\n" + (message_id.encode() if message_id else data)
        ).hexdigest()[:32]
        ids = {"workflow_id": link.workflow_id, "interview_id": link.interview_id, "key": key}
        claim, _ = self._seen.claim(key)
        if claim == "done":
            log.info("inbound_duplicate", **ids)
            return OK_DUPLICATE
        if claim == "in_progress":
            return TRY_LATER
        try:
            outcome = await self._handle(token, link, msg, key, mail_from)
        except _SmtpRefusal as refused:
            self._seen.release(key)
            log.info("inbound_refused", stage="data", outcome=refused.outcome, **ids)
            return refused.reply
        except (HeardbackError, OSError, TimeoutError) as err:  # Unavailable, delivery: later
            self._seen.release(key)
            log.warning("inbound_deferred", outcome=type(err).__name__, **ids)
            return TRY_LATER
        except Exception as err:  # a fault of ours: the sender's MTA retries, nothing is lost
            self._seen.release(key)
            # The type only: a traceback's text may quote an address or a line.
            log.error("inbound_failed", error=type(err).__name__, **ids)  # noqa: TRY400
            return TRY_LATER
        except BaseException:  # cancelled (the time limit, shutdown): free the claim
            self._seen.release(key)
            raise
        self._seen.finish(key, outcome)
        log.info("inbound_handled", outcome=outcome, **ids)
        return OK

    async def _handle(
        self, token: str, link: Link, msg: EmailMessage, key: str, mail_from: str
    ) -> str:
        client = await self._holder.get()
        try:
            view = await client.page_view(link.workflow_id)
        except NotFound:
            raise _SmtpRefusal(GONE, "gone") from None
        interview = next(
            (iv for iv in view.interviews if iv.interview_id == link.interview_id), None
        )
        if interview is None:
            raise _SmtpRefusal(UNKNOWN_INTERVIEW, "unknown_interview")
        sender = _sender(msg)
        if sender != interview.interviewer_email.lower() or not _authentic(
            msg, sender, mail_from, self._settings.inbound_authserv_id
        ):
            raise _SmtpRefusal(WRONG_SENDER, "wrong_sender")
        lines = await asyncio.to_thread(lambda: feedback_lines(new_text(reply_text(msg))))
        answer = await self._decide(
            token=token, link=link, view=view, interview=interview, lines=lines, key=key
        )
        await self._send_answer(
            token=token, view=view, interview=interview, inbound=msg, key=key, answer=answer
        )
        return answer.outcome

    async def _decide(
        self,
        *,
        token: str,
        link: Link,
        view: PageView,
        interview: PageInterview,
        lines: list[str],
        key: str,
    ) -> _Answer:
        if not lines:
            return _Answer("no_text", {})
        if view.state in DONE_STATES:
            return _Answer("closed", {}, reply_to_token=False)
        if len(lines) > MAX_LINES:
            return _Answer("too_many", {"limit": MAX_LINES})
        if any(len(line) > MAX_LINE_CHARS for line in lines):
            return _Answer("too_long", {"limit": MAX_LINE_CHARS})
        findings = screening.screen(lines, view.staff_locale)
        if findings:
            return _Answer("screening", {"findings": _shown(lines, findings)})
        try:
            cmd = SubmitFeedback(
                interview_id=interview.interview_id,
                feedback=lines,
                via=Via(channel="reply", actor="interviewer", link=link_digest(token)),
            )
        except ValidationError as err:
            return _Answer("refused", {"reason": describe_errors(err)})
        client = await self._holder.get()
        try:
            await client.update_candidacy(
                link.workflow_id,
                contract.UPDATE_SUBMIT_FEEDBACK,
                cmd,
                request_id=f"reply-{key}",
            )
        except NotFound:
            raise _SmtpRefusal(GONE, "gone") from None
        except (Refused, InvalidInput) as err:
            now = await client.page_view(link.workflow_id)
            if now.state in DONE_STATES:
                return _Answer("closed", {}, reply_to_token=False)
            found = screening.screen(lines, now.staff_locale)
            if found:
                return _Answer("screening", {"findings": _shown(lines, found)})
            return _Answer("refused", {"reason": err.reason})
        soon = not interview.this_round or view.outcome is not None
        return _Answer("recorded", {"lines": lines, "soon": soon})

    async def _send_answer(
        self,
        *,
        token: str,
        view: PageView,
        interview: PageInterview,
        inbound: EmailMessage,
        key: str,
        answer: _Answer,
    ) -> None:
        words = reader(view.staff_locale, view.staff_time_zone)
        subject, body = _render(words, view, interview, answer)
        internal_id = f"{view.workflow_id}.000.reply_answer-{key[:16]}"
        message_id = opaque_message_id(internal_id, self._settings.message_id_domain)
        # TRANSLATORS: the sender's name on every message (From: Acme hiring team).
        name = words.translations.pgettext("the sender's name", "%(company)s hiring team")
        headers: list[tuple[str, str]] = [
            ("From", formataddr((str(name) % {"company": view.company}, self._settings.mail_from))),
            ("To", interview.interviewer_email),  # as the workflow holds it, never the From
        ]
        if answer.reply_to_token:
            headers.append(("Reply-To", self._address.with_token(token)))
        headers += [
            ("Date", format_datetime(datetime.now(UTC))),
            ("Message-ID", message_id),
        ]
        inbound_id, references = _thread(inbound)
        if inbound_id is not None:
            headers += [("In-Reply-To", inbound_id), ("References", " ".join(references))]
        headers.append(("Auto-Submitted", "auto-replied"))  # RFC 3834: never answered in turn
        msg = compose(subject=subject, text=body, lang=words.lang, headers=headers)
        try:
            await self._transport.send(internal_id, msg)
        except UndeliverableError:
            # The address the workflow holds refuses mail: the lines stand, nothing to retry.
            log.warning("inbound_answer_undeliverable", workflow_id=view.workflow_id, key=key)


def _shown(lines: list[str], findings: list[screening.Finding]) -> list[dict[str, str]]:
    return [
        {"line": lines[f.line], "message": f.message, "suggestion": f.suggestion} for f in findings
    ]


def render_answer(
    view: PageView, interview: PageInterview, outcome: str, **context: Any
) -> tuple[str, str]:
    """(subject, text) of the answer to a reply, in the staff's language: `outcome` is one of
    recorded (`lines`, `soon`), screening (`findings`: line, message, suggestion), no_text,
    closed, too_many and too_long (`limit`), refused (`reason`)."""
    words = reader(view.staff_locale, view.staff_time_zone)
    return _render(words, view, interview, _Answer(outcome, context))


def _render(
    words: Reader, view: PageView, interview: PageInterview, answer: _Answer
) -> tuple[str, str]:
    values: dict[str, Any] = {
        "lines": [],
        "findings": [],
        "soon": False,
        "limit": 0,
        "reason": "",
        **answer.context,
    }
    text = words.render(
        ANSWER_TEMPLATE,
        outcome=answer.outcome,
        candidate=view.candidate_name,
        first_name=_first_name(view.candidate_name),
        role=view.role_title,
        company=view.company,
        stage=interview.stage,
        **values,
    )
    head, _, body = text.lstrip("\n").partition("\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"{ANSWER_TEMPLATE} must start with 'Subject: '")
    tidy: list[str] = []
    for raw in body.strip("\n").split("\n"):
        line = raw.rstrip()
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return head.removeprefix("Subject: ").strip(), "\n".join(tidy).strip("\n") + "\n"


# --- wiring ------------------------------------------------------------------------------------


def inbound_from_settings(settings: Settings, holder: ClientHolder) -> InboundReplies | None:
    """The reply listener the settings ask for; None when ``inbound_smtp_port`` is unset or no
    link keys are configured (reminders then carry no reply address). Its dedupe store is
    ``inbound.sqlite3`` next to ``webhook_dedupe_path``; answers go out through the worker's
    transport (file or SMTP, as configured)."""
    if settings.inbound_smtp_port is None:
        return None
    keys = link_keys(settings)
    if not keys:
        log.warning("inbound_off", detail="no link keys (HEARDBACK_LINK_KEYS): replies not read")
        return None
    seen = DedupeStore(
        settings.webhook_dedupe_path.parent / "inbound.sqlite3",
        keep=timedelta(days=max(settings.webhook_dedupe_days, 1)),
    )
    return InboundReplies(
        settings,
        holder,
        signer=LinkSigner(keys),
        transport=build_transport(settings),
        seen=seen,
    )
