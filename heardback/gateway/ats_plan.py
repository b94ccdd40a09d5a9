"""What a provider event becomes: a :class:`Plan` of heardback commands, the same vocabulary
for every provider (carried out by heardback.gateway.ats_apply)."""

from __future__ import annotations

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
