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


MAX_NOTES = 20000  # internal notes kept per round, at most
MAX_LINES, MAX_LINE = 50, 2000  # candidate-facing lines a round takes, and their length


def capped(lines: list[str]) -> list[str]:
    """Candidate-facing lines within what a round takes (50 lines of 2,000 characters): a
    longer answer is kept in part rather than the whole round refused."""
    return [line[:MAX_LINE] for line in lines[:MAX_LINES]]


def answer_text(value: Any) -> str | None:
    """A submitted form value as text: a string, a number or yes/no, a list of those, or the
    text inside a provider's structured values (`{"value": ...}`, `{"text": ...}`, a score's
    `{"score": 4, "comments": {...}}`)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        if "score" in value:
            comment = answer_text(value.get("comments"))
            return f"{value['score']}" + (f" ({comment})" if comment else "")
        return answer_text(value.get("value", value.get("text")))
    if isinstance(value, list):
        parts = [t for t in (answer_text(v) for v in value) if t]
        return ", ".join(parts) or None
    return None


def fields_of(setting: str) -> set[str]:
    """The form fields or questions (comma-separated, case-insensitive) whose answers the
    candidate reads."""
    return {f.strip().casefold() for f in setting.split(",") if f.strip()}


def split_answers(answers: list[tuple[str, Any]], mapped: set[str]) -> tuple[list[str], str | None]:
    """(candidate-facing lines, internal notes) of a form's (label, value) answers: an answer
    to a field the tenant names (its label or its key, casefolded, in `mapped`) gives one line
    per line of its text; every other answer becomes an internal note."""
    lines: list[str] = []
    notes: list[str] = []
    for label, value in answers:
        text = answer_text(value)
        if text is None:
            continue
        if label.casefold() in mapped:
            lines += [line.strip() for line in text.splitlines() if line.strip()]
        else:
            notes.append(f"{label}: {text}")
    return capped(lines), "\n".join(notes)[:MAX_NOTES] or None
