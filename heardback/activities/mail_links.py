"""The one-step links a message carries, signed when it is rendered (in the delivery activity).

Every candidate message links to the candidate's status page; a feedback reminder to the
interviewer's page (and, with the inbound listener on, its Reply-To carries a reply token); an
escalation about a decision to the contact's decision page, one about missing feedback to that
interview's feedback page. Expiry is computed from the message's own queue time, so a retried
delivery renders the same links, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from heardback.runtime.links import Link, LinkSigner
from heardback.workflows.models import DeliveryRequest

DECISION_REASONS = frozenset({"decision_overdue", "hold_expiring", "hold_needs_reasons"})
FEEDBACK_REASONS = frozenset({"feedback_overdue", "interviewer_unreachable"})
STATUS_DEFAULT_TTL = timedelta(days=180)


@dataclass(frozen=True)
class MailLinks:
    status: str | None = None
    feedback: str | None = None
    decision: str | None = None
    reply_to: str | None = None  # replaces the Reply-To header when set


@dataclass(frozen=True)
class LinkMaker:
    signer: LinkSigner
    public_url: str
    decision_ttl: timedelta
    feedback_ttl: timedelta
    reply_address: str | None = None  # set when the inbound listener runs

    def url(self, kind: str, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/{kind}/{token}"

    def for_request(self, req: DeliveryRequest) -> MailLinks:
        msg = req.message
        c = msg.content
        queued: datetime = msg.queued_at
        wf = req.workflow_id
        if msg.recipient == "candidate":
            expires = req.erase_after or queued + STATUS_DEFAULT_TTL
            token = self.signer.sign(Link("status", wf, expires, actor="candidate"))
            return MailLinks(status=self.url("s", token))
        if msg.kind == "feedback_reminder" and c.interview_id:
            expires = queued + self.feedback_ttl
            link = Link("feedback", wf, expires, interview_id=c.interview_id, actor="interviewer")
            token = self.signer.sign(link)
            reply_to = None
            if self.reply_address:
                reply = self.signer.sign_reply(wf, c.interview_id, expires)
                local, _, domain = self.reply_address.partition("@")
                reply_to = f"{local}+{reply}@{domain}"
            return MailLinks(feedback=self.url("f", token), reply_to=reply_to)
        if msg.kind == "escalation" and c.reason in FEEDBACK_REASONS and c.interview_id:
            expires = queued + self.feedback_ttl
            link = Link("feedback", wf, expires, interview_id=c.interview_id, actor="contact")
            token = self.signer.sign(link)
            return MailLinks(feedback=self.url("f", token))
        if msg.kind == "escalation" and c.reason in DECISION_REASONS:
            expires = queued + self.decision_ttl
            token = self.signer.sign(Link("decision", wf, expires, round=c.round, actor="contact"))
            return MailLinks(decision=self.url("d", token))
        return MailLinks()
