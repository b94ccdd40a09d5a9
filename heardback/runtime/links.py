"""Signed links: the token in every one-step link heardback puts in an email.

A token is scoped to one obligation of one candidacy (`purpose` and `workflow_id`, and for a
feedback link the interview), expires at a time of its own (a decision link soon; a status link
with the candidacy's retention), and carries ids only: no name, no address, nothing a reader of
the URL learns about the person. Signing is itsdangerous's (HMAC-SHA512 over the payload, with a
salt per purpose, so a status link can never be replayed as a decision link), with several keys
at once for rotation: the first key signs, every key verifies, so a new key can be introduced
ahead of the old one's retirement without breaking links already sent.

Reply addresses carry a token too (:meth:`LinkSigner.sign_reply`): the same keys, but a compact
base32 form (case-insensitive, as some mail systems lower-case addresses, and short, as an
address's local part should stay within 64 characters): 4 bytes of expiry, 10 bytes of
HMAC-SHA256 and the ids.

:func:`link_digest` names a link in a workflow's history (who acted through which link) without
being the link: a short SHA-256 of the token, which cannot be turned back into it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer

from heardback.workflows.errors import HeardbackError

Purpose = Literal["feedback", "decision", "status"]
PURPOSES: tuple[Purpose, ...] = ("feedback", "decision", "status")


class LinkRefused(HeardbackError):
    """A link that cannot be honoured; `reason` is what a plain page says to its reader."""


@dataclass(frozen=True, slots=True)
class Link:
    purpose: Purpose
    workflow_id: str
    expires_at: datetime
    interview_id: str | None = None  # feedback links: the interview the lines are for
    round: int | None = None  # decision links: the stage round the decision is owed for
    actor: str | None = None  # who it was sent to: interviewer, contact, candidate


def link_digest(token: str) -> str:
    """How a history names the link a command came through (not the link: it cannot be
    reversed into one)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


_REPLY_MAC = 10
_WF_PREFIX = "candidacy-"


class LinkSigner:
    def __init__(self, keys: list[str]) -> None:
        if not keys or any(len(k) < 32 for k in keys):
            raise ValueError("link keys: at least one, each at least 32 characters")
        self._keys = keys

    def _serializer(self, purpose: Purpose) -> URLSafeSerializer:
        # itsdangerous signs with the *last* key of the list and verifies with every one.
        return URLSafeSerializer(list(reversed(self._keys)), salt=f"heardback-{purpose}")

    def sign(self, link: Link) -> str:
        payload = {
            "w": link.workflow_id,
            "x": int(link.expires_at.timestamp()),
        }
        if link.interview_id is not None:
            payload["i"] = link.interview_id
        if link.round is not None:
            payload["r"] = link.round
        if link.actor is not None:
            payload["a"] = link.actor
        return str(self._serializer(link.purpose).dumps(payload))

    def sign_reply(self, workflow_id: str, interview_id: str, expires_at: datetime) -> str:
        """The token of a feedback reminder's reply address (lower-case base32)."""
        body = _reply_body(workflow_id, interview_id)
        expiry = struct.pack(">I", int(expires_at.timestamp()))
        mac = _reply_mac(self._keys[0], expiry + body)
        return base64.b32encode(expiry + mac + body).decode().rstrip("=").lower()

    def verify_reply(self, token: str, *, now: datetime | None = None) -> Link:
        """The feedback link a reply token stands for, or :class:`LinkRefused`."""
        try:
            padded = token.upper() + "=" * (-len(token) % 8)
            raw = base64.b32decode(padded)
        except (binascii.Error, ValueError):
            raise LinkRefused("this reply address is not valid") from None
        if len(raw) < 4 + _REPLY_MAC + 3:
            raise LinkRefused("this reply address is not valid")
        expiry, mac, body = raw[:4], raw[4 : 4 + _REPLY_MAC], raw[4 + _REPLY_MAC :]
        matched = False
        for key in self._keys:  # every key, always: nothing to learn from timing
            matched |= hmac.compare_digest(_reply_mac(key, expiry + body), mac)
        if not matched:
            raise LinkRefused("this reply address is not valid (it was changed, or is not ours)")
        expires = datetime.fromtimestamp(struct.unpack(">I", expiry)[0], UTC)
        if (now or datetime.now(UTC)) >= expires:
            raise LinkRefused("this reply address has expired")
        try:
            short, interview = body.decode().split("\x1f")
        except ValueError:
            raise LinkRefused("this reply address is not valid") from None
        return Link(
            purpose="feedback",
            workflow_id=_WF_PREFIX + short,
            expires_at=expires,
            interview_id=interview,
            actor="interviewer",
        )

    def verify(self, token: str, purpose: Purpose, *, now: datetime | None = None) -> Link:
        """The link a token stands for, or :class:`LinkRefused` saying why not."""
        try:
            data = self._serializer(purpose).loads(token)
        except BadSignature:
            raise LinkRefused("this link is not valid (it was changed, or is not ours)") from None
        if not isinstance(data, dict) or not isinstance(data.get("w"), str):
            raise LinkRefused("this link is not valid")
        expires = datetime.fromtimestamp(int(data.get("x", 0)), UTC)
        if (now or datetime.now(UTC)) >= expires:
            raise LinkRefused("this link has expired")
        interview = data.get("i")
        rnd = data.get("r")
        actor = data.get("a")
        return Link(
            purpose=purpose,
            workflow_id=data["w"],
            expires_at=expires,
            interview_id=interview if isinstance(interview, str) else None,
            round=rnd if isinstance(rnd, int) else None,
            actor=actor if isinstance(actor, str) else None,
        )


def _reply_body(workflow_id: str, interview_id: str) -> bytes:
    if not workflow_id.startswith(_WF_PREFIX):
        raise ValueError("reply tokens are for candidacy workflows")
    return f"{workflow_id.removeprefix(_WF_PREFIX)}\x1f{interview_id}".encode()


def _reply_mac(key: str, data: bytes) -> bytes:
    return hmac.new(key.encode(), b"heardback-reply" + data, hashlib.sha256).digest()[:_REPLY_MAC]
