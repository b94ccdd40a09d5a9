"""An outcome the ATS told the candidate itself (`Decide.told_by: "ats"`, set by the provider
webhooks from HEARDBACK_ATS_SENDS): heardback's message carries only what the ATS's could not,
the feedback and written reasons, and is not sent at all when there are none. Asserted on the
mail in the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from heardback.workflows.models import Decide, InterviewCompleted
from tests.conftest import Harness, body_of

LINE = (
    "You broke the migration into small reversible steps and explained how you would roll "
    "each one back if the error rate rose."
)
REASON = (
    "We chose a candidate with several years of running the payments ledger in production, "
    "which this role needs from its first week."
)


async def sat_one_round(harness: Harness, candidate_id: str) -> None:
    await harness.hb.record_interview(
        "r-7",
        candidate_id,
        InterviewCompleted.model_validate(
            {
                "interview_id": "i-1",
                "stage": "technical",
                "interviewer_email": "bob@acme.example",
                "duration": "PT60M",
                "feedback": [LINE],
            }
        ),
    )


async def test_a_rejection_the_ats_sent_is_followed_by_the_feedback_not_a_second_rejection(
    harness: Harness,
) -> None:
    h = await harness.start(candidate={"id": "c-told-1"})
    await sat_one_round(harness, "c-told-1")
    await harness.until(h, lambda st: len(st.interviews) == 1)
    await harness.hb.decide(
        "r-7", "c-told-1", Decide(outcome="reject", feedback=[REASON], told_by="ats")
    )
    # Polled in real time, not awaited: a finished candidacy's result would let the shared
    # test clock skip to its survey and retention, years ahead of the other tests.
    st = await harness.idle(h)
    assert st.outcome == "rejected"
    [mail] = harness.messages("rejection", to="ada@example.org")
    body = body_of(mail)
    assert "You have already heard from us that we are not moving forward" in body
    assert "We have decided not to move forward" not in body  # not a second rejection
    assert "reversible steps" in body  # the round's feedback
    assert "payments ledger" in body  # and the written reasons


async def test_with_nothing_to_add_the_ats_rejection_is_the_only_one(harness: Harness) -> None:
    h = await harness.start(candidate={"id": "c-told-2"})
    await harness.delivered(h, 1)
    await harness.hb.decide("r-7", "c-told-2", Decide(outcome="reject", told_by="ats"))
    st = await harness.idle(h)
    assert st.outcome == "rejected" and st.state in ("finishing", "completed")
    [record] = [m for m in st.messages if m.kind == "rejection"]
    assert record.status == "withheld"
    assert record.error == "told by the ATS, with no feedback or reasons to add"
    assert harness.kinds() == ["acknowledgement"]  # nothing after the ATS's own message


async def test_an_offer_the_ats_sent_brings_the_feedback_and_no_details_chase(
    harness: Harness,
) -> None:
    h = await harness.start(candidate={"id": "c-told-3"})
    await sat_one_round(harness, "c-told-3")
    await harness.until(h, lambda st: len(st.interviews) == 1)
    await harness.hb.decide("r-7", "c-told-3", Decide(outcome="offer", told_by="ats"))
    st = await harness.idle(h)
    [mail] = harness.messages("offer", to="ada@example.org")
    body = body_of(mail)
    assert "You have already received our offer" in body
    assert "We are delighted to offer you" not in body
    assert "written details of the offer" not in body  # the ATS's offer carried them
    assert "reversible steps" in body
    assert st.outcome == "offer"
    # A week on, past heardback's own deadline for an offer's written details: nobody is chased
    # and the candidate is not told the details are late (the ATS's offer carried them).
    await harness.sleep(timedelta(days=8), h)
    assert not harness.messages("escalation")
    assert not harness.messages("delay_explanation")


def test_told_by_is_only_for_a_rejection_or_an_offer() -> None:
    with pytest.raises(ValidationError, match="told_by is only for"):
        Decide(outcome="advance", next_stage="onsite", told_by="ats")
    with pytest.raises(ValidationError, match="told_by is only for"):
        Decide(outcome="hold", told_by="ats")
