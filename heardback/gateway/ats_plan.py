"""What a provider event becomes: a :class:`Plan` of heardback commands, the same vocabulary
for every provider (carried out by heardback.gateway.ats_apply)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Handling = Literal["map", "ignore"]


class Unusable(ValueError):
    """A documented event whose payload lacks what heardback needs (kept for an operator)."""


@dataclass
class Plan:
    """What to do for one event: `steps` in order, each a (command, arguments) pair."""

    action: str
    handling: Handling
    reason: str
    application: str | None = None  # "<role id>/<candidate id>", for ordering
    occurred_at: datetime | None = None
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def signed_by_any(secrets: list[str], body: bytes, given_hex: str) -> bool:
    """Whether any configured secret's HMAC-SHA256 of `body` is `given_hex` (constant time,
    every secret tried, so rotation costs no timing signal)."""
    given = given_hex.strip().lower().encode()
    ok = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
        ok |= hmac.compare_digest(expected, given)
    return ok


def as_dict(value: Any) -> dict[str, Any]:
    """A payload's object, or an empty one where the provider sent something else."""
    return value if isinstance(value, dict) else {}


def iso_time(value: Any) -> datetime | None:
    """An ISO-8601 time as providers send it (``Z`` included), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
