"""Mail transports: where a rendered message goes.

- :class:`FileTransport` (the embedded default) writes one `.eml` file per message into an outbox
  folder, atomically, named by message id, so writing the same message twice leaves one file.
- :class:`SmtpTransport` hands messages to an SMTP server (smtplib, in a thread), with optional
  TLS and credentials.

What the mail server answers decides what happens next:

- a 4xx anywhere, a dropped connection, a timeout, a refused connection: not now,
  :class:`TransientDeliveryError` (the delivery activity retries; an outage delays, never loses);
- 5xx to RCPT TO: the address is bad, :class:`UndeliverableError` (escalated, not retried);
- 5xx to DATA (the message itself: a line too long, too big, content refused): this message
  never, the address may still work, :class:`MessageRefusedError` (skipped, not retried; the
  candidacy's later messages still go out);
- 5xx to MAIL FROM (our sender address, HEARDBACK_MAIL_FROM, refused), to EHLO or to AUTH
  stays transient, with an error-level log line an operator sees: that is our configuration,
  every message would meet the same answer, and skipping them would drop every candidate's mail
  (and the escalations that would report it); retrying loses nothing while it is fixed.

Messages from :func:`heardback.activities.mime.compose` are 7bit, so the transport asks for no
extension: BODY=8BITMIME only for an 8-bit message and only if the server offers it, SMTPUTF8
only for a non-ASCII address and only if the server offers it (if it does not, a non-ASCII
recipient is an :class:`UndeliverableError`: the address cannot travel to that server).
Log lines carry SMTP codes, never addresses, names or the server's own text (which often quotes
the address).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import smtplib
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from email.message import Message
from email.policy import EmailPolicy
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Protocol

import structlog

from heardback.workflows.errors import (
    MessageRefusedError,
    TransientDeliveryError,
    UndeliverableError,
)

log = structlog.get_logger("heardback.transport")

# Called the moment the mail system has taken a message, before anything else can fail or be
# killed: the delivery records it there, which keeps the sent-but-unrecorded window narrow.
OnAccepted = Callable[[], None]


class Transport(Protocol):
    async def send(
        self, message_id: str, msg: Message, on_accepted: OnAccepted | None = None
    ) -> None: ...

    async def already_sent(self, message_id: str) -> bool:
        """Whether this transport can prove the message was handed over before."""
        ...

    async def erase(self, workflow_id: str) -> int:
        """Delete what this transport keeps of a candidacy's messages; returns how many."""
        ...


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _safe_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", message_id) + ".eml"


class FileTransport:
    def __init__(self, outbox_dir: Path) -> None:
        self._dir = outbox_dir
        self._dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, message_id: str) -> Path:
        return self._dir / _safe_name(message_id)

    async def already_sent(self, message_id: str) -> bool:
        return self.path_for(message_id).exists()

    async def erase(self, workflow_id: str) -> int:
        """Delete the candidacy's .eml files (message ids are `{workflow_id}.NNN.kind`)."""
        prefix = _safe_name(workflow_id).removesuffix(".eml") + "."

        def remove() -> int:
            gone = 0
            for path in self._dir.glob(f"{glob_escape(prefix)}[0-9][0-9][0-9].*.eml"):
                path.unlink(missing_ok=True)
                gone += 1
            return gone

        return await asyncio.to_thread(remove)

    async def send(
        self, message_id: str, msg: Message, on_accepted: OnAccepted | None = None
    ) -> None:
        await asyncio.to_thread(self._write, message_id, msg.as_bytes())
        if on_accepted is not None:
            on_accepted()

    def _write(self, message_id: str, data: bytes) -> None:
        target = self.path_for(message_id)
        # Not *.eml: a worker killed mid-write leaves a partial file no reader mistakes for mail.
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)  # atomic: readers see no half-written message
        except OSError as err:
            Path(tmp).unlink(missing_ok=True)
            raise TransientDeliveryError(f"outbox write failed: {err.strerror}") from err


# Kept SMTP connections: at most this many, each reused within this many seconds of its last
# message (mail servers drop idle clients after a few minutes; RSET checks before each reuse).
MAX_IDLE = 8
IDLE_SECONDS = 30.0


class SmtpTransport:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._host = host
        self._port = port
        self._security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        # Open connections kept between messages (RSET before reuse): connecting, EHLO and QUIT
        # for every message cost both sides more than the message itself (docs/PERFORMANCE.md).
        self._idle: list[tuple[float, smtplib.SMTP]] = []
        self._idle_lock = threading.Lock()

    async def already_sent(self, message_id: str) -> bool:
        return False  # SMTP gives no way to ask; see the ledger's note on the remaining window

    async def erase(self, workflow_id: str) -> int:
        return 0  # nothing is kept here once the SMTP server has taken a message

    async def send(
        self, message_id: str, msg: Message, on_accepted: OnAccepted | None = None
    ) -> None:
        # The conversation runs in a thread of its own, which records the delivery (the
        # callback) the instant it reads the server's 250, without waiting for this busy event
        # loop to come round: that is as narrow as SMTP lets the sent-but-unrecorded window be.
        await asyncio.to_thread(self._send_blocking, msg, on_accepted)

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self._security == "tls":
            smtp = smtplib.SMTP_SSL(
                self._host,
                self._port,
                timeout=self._timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            if self._security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self._username and self._password:
                smtp.login(self._username, self._password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _checkout(self) -> smtplib.SMTP:
        """An open connection: a kept one that still answers RSET, or a new one."""
        while True:
            with self._idle_lock:
                if not self._idle:
                    break
                since, smtp = self._idle.pop()
            if time.monotonic() - since < IDLE_SECONDS:
                try:
                    smtp.rset()  # alive, and no half-done transaction left on it
                except (smtplib.SMTPException, OSError):
                    pass
                else:
                    return smtp
            smtp.close()
        return self._connect()

    def _checkin(self, smtp: smtplib.SMTP) -> None:
        with self._idle_lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append((time.monotonic(), smtp))
                return
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()

    def __del__(self) -> None:
        # Dropped with the worker: release the kept sockets (no network I/O in a finalizer).
        with contextlib.suppress(Exception):
            for _, smtp in self._idle:
                smtp.close()

    def _send_blocking(self, msg: Message, on_accepted: OnAccepted | None) -> None:
        sender = _envelope_address(msg, "From")
        recipient = _envelope_address(msg, "To")
        try:
            smtp = self._checkout()
            try:
                smtp.ehlo_or_helo_if_needed()
                options = _mail_options(smtp, sender, recipient)
                data = _wire_bytes(msg, utf8="SMTPUTF8" in options)
                if not data.isascii() and smtp.has_extn("8bitmime"):
                    options.append("BODY=8BITMIME")  # never for compose()'s 7bit messages
                refused = smtp.sendmail(sender, [recipient], data, mail_options=options)
            except UndeliverableError:
                self._checkin(smtp)  # refused before MAIL FROM: the connection is fine
                raise
            except BaseException:
                smtp.close()  # in an unknown state: never reused
                raise
            # Taken: record it now, before anything else.
            if on_accepted is not None and not refused:
                on_accepted()
            self._checkin(smtp)
            if refused:
                raise UndeliverableError("recipient refused by the mail server")
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            if codes and all(500 <= c < 600 for c in codes):
                raise UndeliverableError(f"recipient refused by the mail server ({codes})") from err
            raise TransientDeliveryError(f"recipient deferred ({codes})") from err
        except smtplib.SMTPSenderRefused as err:
            if _permanent(err.smtp_code):
                # Our configuration, not this message: skipping would drop every message (and
                # the escalations that would report it). Retried, loudly, until an operator fixes
                # HEARDBACK_MAIL_FROM: an outage of our own making delays mail, never loses it.
                _log_sender_refused(err.smtp_code, err.smtp_error)
                raise TransientDeliveryError(
                    f"the mail server refused our sender address ({err.smtp_code})"
                ) from err
            raise TransientDeliveryError(f"sender deferred ({err.smtp_code})") from err
        except smtplib.SMTPDataError as err:
            if _permanent(err.smtp_code):
                raise MessageRefusedError(
                    f"the mail server refused this message ({err.smtp_code}"
                    f"{_enhanced(err.smtp_error, ' ')})"
                ) from err
            raise TransientDeliveryError(f"message deferred ({err.smtp_code})") from err
        except smtplib.SMTPResponseException as err:
            # EHLO or AUTH refused: our configuration; retried while an operator fixes it.
            raise TransientDeliveryError(f"mail server answered {err.smtp_code}") from err
        except (smtplib.SMTPException, OSError, TimeoutError) as err:
            raise TransientDeliveryError(f"mail server unreachable: {type(err).__name__}") from err


def _permanent(code: int) -> bool:
    return 500 <= code < 600


_ENHANCED = re.compile(rb"^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)")


def _enhanced(response: bytes | str, prefix: str = "") -> str:
    """The RFC 3463 status code at the start of a reply ("5.7.1"), or "": a code only, never
    the server's text, which often quotes the address."""
    raw = response.encode("utf-8", "replace") if isinstance(response, str) else response
    found = _ENHANCED.match(raw)
    return prefix + found.group(1).decode("ascii") if found else ""


def _log_sender_refused(code: int | None, response: bytes | str) -> None:
    log.error(
        "smtp_sender_refused",
        smtp_code=code,
        enhanced_code=_enhanced(response) or None,
        setting="HEARDBACK_MAIL_FROM",
        hint="the mail server refuses our sender address; every message will fail until "
        "HEARDBACK_MAIL_FROM is an address this server accepts from us",
    )


def _envelope_address(msg: Message, name: str) -> str:
    """The address in header `name`, domain in ASCII (IDNA), for MAIL FROM or RCPT TO."""
    header: Any = msg[name]
    if header is None:
        return ""
    addresses = getattr(header, "addresses", None)  # the default policy's parsed header
    addr = str(addresses[0].addr_spec) if addresses else getaddresses([str(header)])[0][1]
    local, at, domain = addr.rpartition("@")
    if at and not domain.isascii():
        with contextlib.suppress(UnicodeError):
            return f"{local}@{domain.encode('idna').decode('ascii')}"
    return addr


def _mail_options(smtp: smtplib.SMTP, sender: str, recipient: str) -> list[str]:
    """SMTPUTF8 when an address needs it and the server offers it; [] otherwise."""
    if sender.isascii() and recipient.isascii():
        return []
    if smtp.has_extn("smtputf8"):
        return ["SMTPUTF8"]
    if not recipient.isascii():
        raise UndeliverableError("the mail server cannot take a non-ASCII address")
    _log_sender_refused(None, "")
    raise TransientDeliveryError("the mail server cannot take our non-ASCII sender address")


def _wire_bytes(msg: Message, *, utf8: bool) -> bytes:
    """The message as sent: CRLF line ends, folded by its own policy; UTF-8 headers only for
    an SMTPUTF8 transaction (otherwise encoded words)."""
    policy = msg.policy
    if isinstance(policy, EmailPolicy):
        return msg.as_bytes(policy=policy.clone(linesep="\r\n", utf8=utf8))
    return msg.as_bytes(policy=policy.clone(linesep="\r\n"))
