"""Lever's webhooks, as Lever documents them (hire.lever.co/developer/documentation#webhooks; the
documented example is under tests/fixtures/ats/lever/).

- **Signature inside the body**: ``signature`` is the hex HMAC-SHA256, under the webhook's
  signature token, of ``token + triggeredAt``; several tokens are accepted at once
  (`HEARDBACK_LEVER_WEBHOOK_SECRETS`) for rotation. Lever signs only those two fields, so the
  event is identified by them (a replay of the same token acts once) and ``triggeredAt`` must be
  recent (`HEARDBACK_LEVER_MAX_AGE`, covering Lever's retries).
- **Ids only**: Lever's payloads carry ids (opportunity, candidate, stages), not names, addresses
  or stage titles. Acting on them needs Lever's API, which heardback does not call yet: such an
  event is kept as a dead letter (answered 2xx, never lost), to be retried once it does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

PROVIDER = "lever"

NEEDS_API = (
    "Lever sends ids only; acting on it needs Lever's API (names, addresses, stage titles), "
    "which heardback does not call yet: kept to retry once it does"
)
EVENTS: dict[str, tuple[str, str]] = {
    "applicationCreated": ("keep", NEEDS_API),
    "candidateStageChange": ("keep", NEEDS_API),
    "candidateArchiveChange": ("keep", NEEDS_API),
    "candidateHired": ("keep", NEEDS_API),
    "candidateDeleted": ("ignore", "no candidacy was started from Lever, so nothing to erase"),
    "interviewCreated": ("ignore", "interviews count once completed; Lever's are not read yet"),
    "interviewUpdated": ("ignore", "interviews count once completed; Lever's are not read yet"),
    "interviewDeleted": ("ignore", "interviews count once completed; Lever's are not read yet"),
    "contactCreated": ("ignore", "contact records are not candidacies"),
    "contactUpdated": ("ignore", "contact changes are not taken over"),
}


class Refused(ValueError):
    """Not a delivery Lever signed (or too old): answered 401, nothing kept."""


def sign(secret: str, token: str, triggered_at: int) -> str:
    return hmac.new(secret.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()


def verify(
    secrets: list[str], body: bytes, *, now: datetime | None = None, max_age: timedelta
) -> dict[str, Any]:
    """The event, if one of the tokens signed it and it is recent; else Refused."""
    try:
        event = json.loads(body)
    except ValueError as err:
        raise Refused("the body is not JSON") from err
    if not isinstance(event, dict):
        raise Refused("not a Lever event")
    token, at, given = event.get("token"), event.get("triggeredAt"), event.get("signature")
    if not isinstance(token, str) or not isinstance(at, int) or not isinstance(given, str):
        raise Refused("token, triggeredAt and signature are required (set a signature token)")
    ok = False
    for secret in secrets:
        ok |= hmac.compare_digest(sign(secret, token, at).encode(), given.lower().encode())
    if not ok:
        raise Refused("the signature does not match")
    sent = datetime.fromtimestamp(at / 1000, UTC)
    if abs((now or datetime.now(UTC)) - sent) > max_age:
        raise Refused(f"triggeredAt is older than {max_age}: a stale or replayed delivery")
    return event


def event_key(event: dict[str, Any]) -> str:
    """What Lever signed identifies the event."""
    signed = f"{event['token']}{event['triggeredAt']}".encode()
    return f"{PROVIDER}-{hashlib.sha256(signed).hexdigest()}"


def answer(event: dict[str, Any]) -> tuple[str, str]:
    """("keep" | "ignore", why) for a documented event; unknown ones are ignored."""
    return EVENTS.get(str(event.get("event")), ("ignore", "not an event Lever documents"))
