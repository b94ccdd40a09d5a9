"""Mail transports: where a rendered message goes.

- :class:`FileTransport` (the embedded default) writes one `.eml` file per message into an outbox
  folder, atomically, named by message id, so writing the same message twice leaves one file.
- :class:`SmtpTransport` hands messages to an SMTP server (smtplib, in a thread), with optional
  TLS and credentials.

Errors a retry can fix (server down, timeouts, 4xx) raise :class:`TransientDeliveryError`;
errors no retry can fix (every recipient refused with 5xx) raise :class:`UndeliverableError`.
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
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

from heardback.workflows.errors import TransientDeliveryError, UndeliverableError

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
        # Serialise with the message's own policy (998-character lines), so ids stay unfolded.
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        sender = parseaddr(str(msg["From"]))[1]
        recipient = parseaddr(str(msg["To"]))[1]
        # The conversation runs in a thread of its own, which records the delivery (the
        # callback) the instant it reads the server's 250, without waiting for this busy event
        # loop to come round: that is as narrow as SMTP lets the sent-but-unrecorded window be.
        await asyncio.to_thread(self._send_blocking, sender, recipient, data, on_accepted)

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

    def _send_blocking(
        self, sender: str, recipient: str, data: bytes, on_accepted: OnAccepted | None
    ) -> None:
        try:
            smtp = self._checkout()
            try:
                refused = smtp.sendmail(sender, [recipient], data)
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
        except smtplib.SMTPResponseException as err:
            # Refusals of our sender or of the message itself are ours to fix: keep retrying
            # (an operator sees the attempts climb) rather than drop the candidate's message.
            raise TransientDeliveryError(f"mail server answered {err.smtp_code}") from err
        except (smtplib.SMTPException, OSError, TimeoutError) as err:
            raise TransientDeliveryError(f"mail server unreachable: {type(err).__name__}") from err
