"""The Python client's typed errors and idempotency, and the report's figures on a known
scenario: the time-skipping server with a real worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from heardback.starter.client import HeardbackClient
from heardback.starter.report import build_report
from heardback.workflows.errors import Conflict, InvalidInput, NotFound, Refused
from heardback.workflows.models import (
    CandidacyInput,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    RoleInput,
    SubmitFeedback,
)
from tests.conftest import Harness, candidacy_input


def hb(harness: Harness) -> HeardbackClient:
    return HeardbackClient(harness.client, task_queue=harness.settings.task_queue)


async def start(harness: Harness, inp: CandidacyInput) -> Any:
    workflow_id = await hb(harness).start_candidacy(inp)
    run_id = (await harness.client.get_workflow_handle(workflow_id).describe()).run_id
    return harness.track(harness.client.get_workflow_handle(workflow_id, run_id=run_id))


async def test_typed_errors_carry_the_workflows_reason(harness: Harness) -> None:
    c = hb(harness)
    inp = candidacy_input()
    h = await start(harness, inp)
    role, cand = inp.role.id, inp.candidate.id
    await c.record_interview(
        role,
        cand,
        InterviewCompleted(
            interview_id="i-1",
            stage="screen",
            interviewer_email="bob@acme.example",
            duration=timedelta(hours=4),
        ),
    )
    await harness.until(h, lambda st: len(st.interviews) == 1)

    with pytest.raises(Refused, match="written reasons"):
        await c.decide(role, cand, Decide(outcome="reject"))
    with pytest.raises(Refused, match="unknown interview id 'i-9'"):
        await c.submit_feedback(role, cand, SubmitFeedback(interview_id="i-9", feedback=["x"]))
    with pytest.raises(NotFound):
        await c.decide(role, "nobody", Decide(outcome="offer"))
    with pytest.raises(NotFound):
        await c.summary("no-such-role")
    with pytest.raises(InvalidInput, match="carried_state"):
        await c.open_role(
            RoleInput.model_validate(
                {
                    "role": inp.role.model_dump(),
                    "carried_state": {
                        "role": inp.role.model_dump(),
                        "stages": ["a"],
                        "policy": {},
                    },
                }
            )
        )

    await c.submit_feedback(
        role,
        cand,
        SubmitFeedback(
            interview_id="i-1", feedback=["Your questions about the design were sharp."]
        ),
    )
    # A decision retried with the same request id is applied once.
    first = await c.decide(role, cand, Decide(outcome="offer"), request_id="req-1")
    again = await c.decide(role, cand, Decide(outcome="offer"), request_id="req-1")
    assert again.message_ids == first.message_ids
    with pytest.raises(Refused, match="already decided"):
        await c.decide(role, cand, Decide(outcome="offer"), request_id="req-2")
    st = await harness.idle(h)
    assert [m.kind for m in st.messages].count("offer") == 1

    # Starting a finished candidacy again is a conflict, not a second acknowledgement.
    await c.offer_update(role, cand, OfferUpdate(event="accepted"))
    await harness.result(h)
    with pytest.raises(Conflict):
        await c.start_candidacy(inp)
    finished = await c.status(role, cand)  # answered from the result of the closed workflow
    assert finished.state == "completed" and finished.outcome == "offer"


async def test_report_figures_on_a_known_scenario(harness: Harness) -> None:
    """A: acknowledged at T0, interview (4 h) at T0+1d, feedback at T0+2d, rejected with reasons
    at T0+3d. B: acknowledged at T0, still waiting at T0+3d."""
    c = hb(harness)
    a, b = candidacy_input(), candidacy_input()
    ha = await start(harness, a)
    hb_ = await start(harness, b)
    await harness.idle(ha)
    await harness.idle(hb_)
    await harness.sleep(timedelta(days=1), ha)
    await c.record_interview(
        a.role.id,
        a.candidate.id,
        InterviewCompleted(
            interview_id="i-1",
            stage="screen",
            interviewer_email="bob@acme.example",
            duration=timedelta(hours=4),
        ),
    )
    await harness.until(ha, lambda st: len(st.interviews) == 1)
    await harness.sleep(timedelta(days=1), ha)
    await c.submit_feedback(
        a.role.id,
        a.candidate.id,
        SubmitFeedback(interview_id="i-1", feedback=["You were clear about the trade-offs."]),
    )
    await harness.sleep(timedelta(days=1), ha)
    await c.decide(
        a.role.id,
        a.candidate.id,
        Decide(
            outcome="reject",
            feedback=["We went with deeper Go experience: the team runs Go services at scale."],
        ),
    )
    final_a = await harness.result(ha)
    st_b = await harness.status(hb_)
    now = await harness.env.get_current_time()

    report = build_report([final_a, st_b], now)

    def close(value: float | None, expected: float) -> bool:
        return value is not None and abs(value - expected) < 0.1  # hours

    assert report.candidacies == 2 and report.open == 1
    assert close(report.time_to_first_response.median_hours, 0.0)
    assert report.time_to_first_response.count == 2
    assert close(report.interview_to_feedback.median_hours, 48.0)  # T0+1d -> T0+3d
    assert report.feedback_still_owed == 0
    assert close(report.time_to_decision_by_stage["application"].median_hours, 72.0)
    per = {f.candidate_id: f for f in report.per_candidacy}
    assert close(per[a.candidate.id].longest_silence_hours, 72.0)  # ack -> rejection
    assert close(per[b.candidate.id].longest_silence_hours, 72.0)  # ack -> now
    assert report.informed_within_7_days.numerator == 2
    assert report.written_reasons_at_3h.numerator == 1
    assert report.written_reasons_at_3h.denominator == 1
    assert per[b.candidate.id].written_reasons is None  # not decided yet
