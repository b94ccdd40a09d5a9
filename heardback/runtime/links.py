"""Signed links: the token in every one-step link heardback puts in an email.

A token is scoped to one obligation of one candidacy (`purpose` and `workflow_id`, and for a
feedback link the interview), expires at a time of its own (a decision link soon; a status link
with the candidacy's retention), and carries ids only: no name, no address, nothing a reader of
the URL learns about the person. Signing is itsdangerous's (HMAC-SHA512 over the payload, with a
salt per purpose, so a status link can never be replayed as a decision link), with several keys
at once for rotation: the first key signs, every key verifies, so a new key can be introduced
ahead of the old one's retirement without breaking links already sent.

Nothing here is used by a page yet (the pages are not built): this is the mechanism they share.
"""

from __future__ import annotations

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
    interview_id: str | None = None


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
        return str(self._serializer(link.purpose).dumps(payload))

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
        return Link(
            purpose=purpose,
            workflow_id=data["w"],
            expires_at=expires,
            interview_id=interview if isinstance(interview, str) else None,
        )
