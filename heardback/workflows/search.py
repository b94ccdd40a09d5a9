"""Search attributes the workflows keep up to date, so operators can filter in the Temporal UI.

Ids, states, stages, times and hours only: never a name, an email or a line of feedback.
Registered on the namespace by the worker at start-up (see :mod:`worker.search_attributes`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributeUpdate,
    SearchAttributeValueType,
    TypedSearchAttributes,
)

ROLE_ID = SearchAttributeKey.for_keyword("HeardbackRoleId")
STATE = SearchAttributeKey.for_keyword("HeardbackState")
STAGE = SearchAttributeKey.for_keyword("HeardbackStage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("HeardbackNextDeadline")
LAST_DELIVERED_AT = SearchAttributeKey.for_datetime("HeardbackLastDeliveredAt")
HOURS_INVESTED = SearchAttributeKey.for_float("HeardbackHoursInvested")
# Set while some interviewer's feedback is past its due time: since when (the oldest).
FEEDBACK_OVERDUE_SINCE = SearchAttributeKey.for_datetime("HeardbackFeedbackOverdueSince")

ALL: tuple[SearchAttributeKey[Any], ...] = (
    ROLE_ID,
    STATE,
    STAGE,
    NEXT_DEADLINE,
    LAST_DELIVERED_AT,
    HOURS_INVESTED,
    FEEDBACK_OVERDUE_SINCE,
)


class Publisher:
    """Remembers what a workflow run last published, so only changes are upserted (each upsert
    is a history event)."""

    def __init__(self) -> None:
        self._published: dict[str, object] = {}
        self._updates: list[SearchAttributeUpdate[Any]] = []

    def seed(self, current: TypedSearchAttributes) -> None:
        """Start from what the run already has (set by its starter, or carried over by
        continue-as-new), so only real changes are upserted."""
        for pair in current:
            self._published[pair.key.name] = pair.value

    def set(
        self,
        key: SearchAttributeKey[SearchAttributeValueType],
        value: SearchAttributeValueType | None,
    ) -> None:
        known = key.name in self._published
        if known and self._published[key.name] == value:
            return
        self._published[key.name] = value
        if value is not None:
            self._updates.append(key.value_set(value))
        elif known:
            self._updates.append(key.value_unset())

    def take(self) -> list[SearchAttributeUpdate[Any]]:
        updates, self._updates = self._updates, []
        return updates


def candidacy_values(
    pub: Publisher,
    *,
    role_id: str,
    state: str,
    stage: str,
    next_deadline: datetime | None,
    last_delivered_at: datetime | None,
    hours_invested: float,
    feedback_overdue_since: datetime | None,
) -> list[SearchAttributeUpdate[Any]]:
    pub.set(ROLE_ID, role_id)
    pub.set(STATE, state)
    pub.set(STAGE, stage)
    pub.set(NEXT_DEADLINE, next_deadline)
    pub.set(LAST_DELIVERED_AT, last_delivered_at)
    pub.set(HOURS_INVESTED, round(hours_invested, 2))
    pub.set(FEEDBACK_OVERDUE_SINCE, feedback_overdue_since)
    return pub.take()
