"""Turn an `OutgoingMessage` into an email: Jinja2 plain-text templates, one per message kind.

Each template's first line is `Subject: ...`; the rest is the body. Headers carry the stable
Message-ID, the kind and the candidacy, and thread every candidate message under the first one.
"""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.charset import Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

import jinja2

from heardback.workflows.models import DeliveryRequest

CANDIDATE_KINDS_NOT_THREADED = frozenset({"acknowledgement"})
# RFC 5322 allows 998 characters a line: ids stay on one line and plain bodies stay readable
# (7bit, or 8bit UTF-8) instead of quoted-printable or base64. The compat32 policy stores
# headers as given: the default policy parses every header it is handed, which made rendering
# the most expensive step of a delivery (about 2.3 ms a message, measured; docs/PERFORMANCE.md).
MAIL_POLICY = email.policy.compat32.clone(max_line_length=998)
_UTF8_8BIT = Charset("utf-8")
_UTF8_8BIT.body_encoding = None  # type: ignore[assignment]  # 8bit, not base64 (None: as is)


def _text_header(value: str) -> str | Header:
    """ASCII as is; anything else as an RFC 2047 encoded word."""
    return value if value.isascii() else Header(value, "utf-8", header_name="Subject")


def _when(value: datetime | None) -> str:
    if value is None:
        return "soon"  # never reached: the policy always sets a date for candidate messages
    v = value.astimezone(UTC)
    return f"{v:%A} {v.day} {v:%B %Y} at {v:%H:%M} UTC"


def _day(value: datetime | None) -> str:
    if value is None:
        return ""
    v = value.astimezone(UTC)
    return f"{v:%A} {v.day} {v:%B %Y}"


def _hours(value: float) -> str:
    if value <= 0:
        return ""
    total_minutes = round(value * 60)
    h, m = divmod(total_minutes, 60)
    parts = []
    if h:
        parts.append(f"{h} hour{'s' if h != 1 else ''}")
    if m:
        parts.append(f"{m} minute{'s' if m != 1 else ''}")
    return " and ".join(parts)


def _stages(values: list[str]) -> str:
    names = list(dict.fromkeys(values))
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def rfc_message_id(message_id: str, domain: str) -> str:
    return f"<{message_id}@{domain}>"


class Renderer:
    def __init__(self, *, mail_from: str, message_id_domain: str) -> None:
        self._from = mail_from
        self._domain = message_id_domain
        # Plain text only: there is no HTML to escape into (S701 is about HTML autoescaping).
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("heardback.activities", "templates"),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,  # noqa: S701 - plain-text mail, nothing to escape into
        )
        self._env.filters["when"] = _when
        self._env.filters["day"] = _day
        self._env.filters["hours"] = _hours
        self._env.filters["stages"] = _stages

    def render_text(self, req: DeliveryRequest) -> tuple[str, str]:
        """(subject, body) for a message."""
        template = self._env.get_template(f"{req.message.kind}.txt.j2")
        text = template.render(c=req.message.content, to=req.message.recipient)
        head, _, body = text.partition("\n")
        if not head.startswith("Subject: "):
            raise ValueError(f"template {req.message.kind} must start with 'Subject: '")
        subject = " ".join(head.removeprefix("Subject: ").split())
        body = _tidy(body)
        return subject, body

    def render(self, req: DeliveryRequest) -> Message:
        msg = req.message
        subject, body = self.render_text(req)
        charset = "us-ascii" if body.isascii() else _UTF8_8BIT
        # (typeshed says str; MIMEText takes a Charset too, and needs one for 8bit UTF-8)
        email = MIMEText(body, "plain", charset, policy=MAIL_POLICY)  # type: ignore[arg-type]
        sender = f"{msg.content.company} hiring team"
        email["From"] = formataddr((sender, self._from))  # encodes a non-ASCII name
        email["To"] = msg.to_email
        email["Reply-To"] = req.reply_to
        email["Subject"] = _text_header(subject)  # type: ignore[assignment]  # a Header is fine
        email["Date"] = format_datetime(datetime.now(UTC))
        email["Message-ID"] = rfc_message_id(msg.message_id, self._domain)
        if msg.recipient == "candidate":
            if msg.kind not in CANDIDATE_KINDS_NOT_THREADED:
                root = rfc_message_id(req.thread_root_id, self._domain)
                email["In-Reply-To"] = root
                email["References"] = root
        else:
            staff_root = rfc_message_id(f"{req.workflow_id}.staff", self._domain)
            email["In-Reply-To"] = staff_root
            email["References"] = staff_root
        email["X-Heardback-Kind"] = msg.kind
        email["X-Heardback-Candidacy"] = req.workflow_id
        email["Auto-Submitted"] = "auto-generated"
        return email


def _tidy(body: str) -> str:
    """Collapse runs of blank lines that optional template sections leave behind."""
    lines = body.strip("\n").split("\n")
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"
