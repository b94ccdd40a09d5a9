"""The Candidacy workflow on Temporal's time-skipping test server: weeks of policy in seconds."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from heardback.activities.mime import opaque_message_id
from heardback.workflows import contract, errors
from tests.conftest import Harness, body_of, candidacy_input

SECRET = "INTERNAL-only: weak on SQL, seemed nervous"
REASON = "We need someone who has run Kafka in production at scale; your answers showed less."


def interview(
    iid: str = "i-1",
    *,
    feedback: list[str] | None = None,
    hours: float = 1.5,
    stage: str = "technical",
) -> dict[str, Any]:
    return {
        "interview_id": iid,
        "stage": stage,
        "interviewer_email": "bob@acme.example",
        "duration": f"PT{int(hours * 60)}M",
        "feedback": feedback or [],
        "internal_notes": SECRET,
    }


async def signal_interview(h: WorkflowHandle[Any, Any], payload: Any) -> None:
    await h.signal(contract.SIGNAL_INTERVIEW_COMPLETED, payload)


async def record(harness: Harness, h: WorkflowHandle[Any, Any], payload: dict[str, Any]) -> None:
    """Signal an interview and wait until the workflow shows it (a signal has no reply)."""
    await signal_interview(h, payload)
    await harness.until(
        h, lambda st: any(iv.interview_id == payload["interview_id"] for iv in st.interviews)
    )


async def update(h: WorkflowHandle[Any, Any], name: str, payload: Any) -> Any:
    return await h.execute_update(name, payload)


async def refused(h: WorkflowHandle[Any, Any], name: str, payload: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await h.execute_update(name, payload)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_acknowledgement_is_delivered_on_start_in_its_own_thread(harness: Harness) -> None:
    h = await harness.start()
    await harness.delivered(h, 1)
    [ack] = harness.messages()
    assert ack["X-Heardback-Kind"] == "acknowledgement"
    assert ack["X-Heardback-Candidacy"] == h.id
    assert ack["Message-ID"] == opaque_message_id(
        f"{h.id}.000.acknowledgement", "heardback.localhost"
    )
    assert ack["To"] == "ada@example.org"
    assert ack["Reply-To"] == "hiring@acme.example"  # a person can answer
    body = body_of(ack)
    for needed in ("Ada Lovelace", "Backend Engineer", "Acme", "at the latest"):
        assert needed in body


async def test_starting_the_same_candidacy_twice_sends_one_acknowledgement(
    harness: Harness,
) -> None:
    inp = candidacy_input()
    first = await harness.start_with_client(inp)
    second = await harness.start_with_client(inp)
    assert first.id == second.id
    assert (await first.describe()).run_id == (await second.describe()).run_id
    await harness.delivered(first, 1)
    await harness.env.sleep(timedelta(hours=1))
    assert harness.kinds() == ["acknowledgement"]


async def test_a_raw_start_and_the_clients_start_behave_alike_and_record_only_temporal_patches(
    harness: Harness,
) -> None:
    """Which client starts a candidacy changes nothing in what it does: no field of the start
    input chooses a code path; the only markers are Temporal's own patch markers."""
    raw = await harness.start()
    ours = await harness.start_with_client(candidacy_input())
    for h in (raw, ours):
        await harness.delivered(h, 1)
        await h.execute_update(contract.UPDATE_DECIDE, {"outcome": "offer"})
        await h.execute_update(contract.UPDATE_OFFER, {"event": "accepted"})
    done = [await harness.until(h, lambda s: s.state == "completed") for h in (raw, ours)]
    assert [m.kind for m in done[0].messages] == [m.kind for m in done[1].messages]
    assert [m.kind for m in done[0].messages] == ["acknowledgement", "offer"]

    def markers(history: Any) -> list[str]:
        return [
            e.marker_recorded_event_attributes.marker_name
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        ]

    # One patch marker (the newest patch: a new run follows all of them), and (1.5) the local
    # activity that announced candidacy.finished (it starts nothing here: events are off).
    expected = ["core_patch", "core_local_activity"]
    assert markers(await raw.fetch_history()) == expected
    assert markers(await ours.fetch_history()) == expected


async def test_silence_is_broken_by_a_status_update_every_max_silence(harness: Harness) -> None:
    h = await harness.start(policy={"decision_due": "P60D"})
    await harness.delivered(h, 1)
    await harness.sleep(timedelta(days=7, hours=1), h)
    await harness.sleep(timedelta(days=7), h)
    st = await harness.status(h)
    delivered = [m for m in st.messages if m.status == "delivered"]
    assert [m.kind for m in delivered] == ["acknowledgement", "status_update", "status_update"]
    times = [m.delivered_at for m in delivered]
    for earlier, later in itertools.pairwise(times):
        assert earlier is not None and later is not None
        assert later - earlier <= timedelta(days=7, minutes=1)
    update_body = body_of(harness.messages("status_update")[0])
    assert "You will hear from us again by" in update_body
    assert st.next_deadline is not None and st.next_deadline.kind == "silence"


async def test_overdue_decision_explains_the_delay_and_escalates_to_the_contact(
    harness: Harness,
) -> None:
    h = await harness.start(policy={"staff_days": "calendar"})
    await record(harness, h, interview(feedback=["You gave clear explanations of each step."]))
    await harness.delivered(h, 1)
    await harness.sleep(timedelta(days=5, hours=1), h)
    [delay] = harness.messages("delay_explanation")
    assert delay["To"] == "ada@example.org"
    assert "taking longer than we planned" in body_of(delay)
    [escalation] = harness.messages("escalation")
    assert escalation["To"] == "hiring@acme.example"
    assert "A decision on Ada Lovelace" in body_of(escalation)


async def test_missing_feedback_is_chased_escalated_and_the_candidate_told_it_is_pending(
    harness: Harness,
) -> None:
    h = await harness.start(policy={"staff_days": "calendar"})
    await record(harness, h, interview())
    st = await harness.delivered(h, 2)
    [reminder] = harness.messages("feedback_reminder")
    assert reminder["To"] == "bob@acme.example"
    assert "Ada Lovelace can read about their technical round" in body_of(reminder)
    assert "i-1" not in body_of(reminder)  # no ids: the stage and the candidate say which
    assert st.next_deadline is not None and st.next_deadline.kind == "feedback_due"

    await harness.sleep(timedelta(days=2, hours=1), h)
    [escalation] = harness.messages("escalation")
    assert escalation["To"] == "hiring@acme.example"
    assert "Feedback for Ada Lovelace on their technical round" in body_of(escalation)

    await harness.sleep(timedelta(days=3), h)  # decision now overdue too
    [delay] = harness.messages("delay_explanation")
    assert "Feedback from your technical round is still being written" in body_of(delay)


async def test_feedback_after_the_rejection_is_still_delivered_then_it_completes(
    harness: Harness,
) -> None:
    h = await harness.start()
    await record(harness, h, interview())
    await update(h, "decide", {"outcome": "reject", "feedback": ["We need deeper Go."]})
    st = await harness.idle(h)
    assert st.state == "finishing"  # outcome out, feedback still owed
    assert "still being written" in body_of(harness.messages("rejection")[0])
    await update(
        h,
        "submit_feedback",
        {"interview_id": "i-1", "feedback": ["Your tests were great and covered the edge cases."]},
    )
    final = await harness.result(h)
    assert final.state == "completed"
    [late] = harness.messages("feedback_update")
    assert "Your tests were great and covered the edge cases." in body_of(late)
    assert final.interviews[0].feedback_delivered


async def test_advance_sends_that_rounds_feedback_and_moves_to_the_next_stage(
    harness: Harness,
) -> None:
    h = await harness.start()
    await record(harness, h, interview("i-1", feedback=["You reasoned out loud well."]))
    result = await update(h, "decide", {"outcome": "advance", "next_stage": "onsite"})
    assert result["stage"] == "onsite"
    st = await harness.delivered(h, 2)
    assert st.stage == "onsite"
    [stage_result] = harness.messages("stage_result")
    body = body_of(stage_result)
    assert "You reasoned out loud well." in body
    assert "onsite" in body
    assert "Thank you for the" not in body  # only the final message thanks, once


async def test_hold_is_explained_with_a_date_and_resuming_says_so(harness: Harness) -> None:
    h = await harness.start()
    await harness.delivered(h, 1)
    await update(h, "decide", {"outcome": "hold"})
    st = await harness.delivered(h, 2)
    assert st.state == "on_hold"
    assert st.hold_until is not None
    [delay] = harness.messages("delay_explanation")
    assert f"{st.hold_until:%B} {st.hold_until.day}, {st.hold_until.year}" in body_of(delay)
    await update(h, "decide", {"outcome": "advance", "next_stage": "technical"})
    await harness.delivered(h, 3)
    assert "Thank you for your patience" in body_of(harness.messages("stage_result")[0])


async def test_rejection_carries_every_rounds_feedback_and_the_written_reasons(
    harness: Harness,
) -> None:
    h = await harness.start()
    await record(
        harness, h, interview("i-1", feedback=["Your API design was clear and consistent."])
    )
    await update(h, "decide", {"outcome": "advance", "next_stage": "onsite"})
    await record(
        harness,
        h,
        interview(
            "i-2", feedback=["You paired well with the interviewer."], stage="onsite", hours=2
        ),
    )
    await update(h, "decide", {"outcome": "reject", "feedback": [REASON]})
    final = await harness.result(h)
    assert final.outcome == "rejected"
    body = " ".join(body_of(harness.messages("rejection")[0]).split())
    for line in (
        "Your API design was clear and consistent.",
        "You paired well with the interviewer.",
        REASON,
    ):
        assert line in body
    assert "Thank you for the 3 hours and 30 minutes" in body


async def test_an_expired_hold_gets_one_last_extension_then_a_rejection(
    harness: Harness,
) -> None:
    h = await harness.start()
    await record(harness, h, interview(feedback=["You asked thoughtful questions about the team."]))
    st = await harness.delivered(h, 1)
    started = st.messages[0].queued_at
    hold_until = (started + timedelta(days=3)).isoformat()
    await update(
        h,
        "decide",
        {
            "outcome": "hold",
            "hold_until": hold_until,
            "feedback": ["Another candidate was slightly ahead."],
        },
    )
    await harness.sleep(timedelta(days=3, hours=1), h)
    st = await harness.status(h)
    assert st.state == "on_hold"
    assert st.hold_until is not None  # extended to hold_max, counted from the hold's start
    assert timedelta(0) <= st.hold_until - (started + timedelta(days=21)) < timedelta(minutes=1)
    extension = harness.messages("delay_explanation")[-1]
    assert "This is the last extension" in body_of(extension)
    assert any("about to run out" in body_of(m) for m in harness.messages("escalation"))

    final = await harness.result(h)  # time skips to hold_max
    assert final.outcome == "rejected"
    body = body_of(harness.messages("rejection")[0])
    assert "We promised you an answer by" in body
    assert "the end of the time we kept your application open" in body
    assert "We have decided" not in body
    assert "You asked thoughtful questions about the team." in body
    assert "Another candidate was slightly ahead." in body
    kinds = [m.kind for m in final.messages if m.recipient == "candidate"]
    assert kinds.count("status_update") >= 2  # never silent during a three-week hold


async def test_offer_is_final_and_the_workflow_completes(harness: Harness) -> None:
    h = await harness.start()
    await record(
        harness, h, interview(feedback=["Your system design was excellent and well argued."])
    )
    await update(
        h, "decide", {"outcome": "offer", "feedback": ["We are delighted to offer you the role."]}
    )
    await harness.idle(h)
    offer = body_of(harness.messages("offer")[0])
    assert "Your system design was excellent and well argued." in offer
    assert "The written details of the offer will follow by" in offer
    st = await harness.status(h)
    assert st.state == "finishing"  # the written details are still owed
    assert st.next_deadline is not None and st.next_deadline.kind == "offer_details"
    await update(h, "offer_update", {"event": "details_sent"})
    await update(h, "offer_update", {"event": "accepted"})
    final = await harness.result(h)
    assert (final.state, final.outcome) == ("completed", "offer")
    assert harness.kinds() == ["acknowledgement", "offer"]  # no survey_url: no survey


async def test_withdrawal_is_confirmed_and_the_workflow_completes(harness: Harness) -> None:
    h = await harness.start()
    await harness.delivered(h, 1)
    await update(h, "withdraw", {"reason": "accepted another offer"})
    final = await harness.result(h)
    assert final.outcome == "withdrawn"
    assert harness.kinds() == ["acknowledgement", "withdrawal_confirmation"]


async def test_survey_comes_last_after_outcome_and_all_feedback(harness: Harness) -> None:
    h = await harness.start(role={"survey_url": "https://acme.example/survey"})
    await record(harness, h, interview())
    await update(h, "decide", {"outcome": "offer"})
    await update(h, "offer_update", {"event": "details_sent"})
    await update(h, "offer_update", {"event": "accepted"})
    await harness.idle(h)
    await harness.env.sleep(timedelta(hours=1))
    assert "survey" not in harness.kinds()  # feedback still owed
    await update(
        h,
        "submit_feedback",
        {"interview_id": "i-1", "feedback": ["Your questions about the design were sharp."]},
    )
    final = await harness.result(h)
    candidate_kinds = [m.kind for m in final.messages if m.recipient == "candidate"]
    assert candidate_kinds == ["acknowledgement", "offer", "feedback_update", "survey"]
    assert "https://acme.example/survey" in body_of(harness.messages("survey")[0])


async def test_internal_notes_never_reach_anyone(harness: Harness) -> None:
    h = await harness.start(role={"survey_url": "https://acme.example/survey"})
    await record(harness, h, interview("i-1", feedback=["Your answers were kind and precise."]))
    await record(harness, h, interview("i-2", stage="onsite"))
    await update(h, "decide", {"outcome": "reject", "feedback": [REASON]})
    await update(
        h,
        "submit_feedback",
        {"interview_id": "i-2", "feedback": ["Your solution was solid and well tested."]},
    )
    final = await harness.result(h)
    assert final.state == "completed"
    everything = b"".join(p.read_bytes() for p in harness.outbox.glob("*.eml"))
    assert everything
    assert SECRET.encode() not in everything
    assert SECRET not in final.model_dump_json()


async def test_invalid_commands_are_refused_with_reasons_and_leave_history_untouched(
    harness: Harness,
) -> None:
    h = await harness.start()
    await record(
        harness, h, interview(hours=3, feedback=["Your answers were good and well paced."])
    )
    await harness.delivered(h, 1)

    err = await refused(h, "decide", {"outcome": "reject"})
    assert err.type == errors.ERR_REFUSED
    assert "written reasons" in err.message
    err = await refused(
        h,
        "decide",
        {"outcome": "hold", "hold_until": "2099-01-01T00:00:00Z", "feedback": [REASON]},
    )
    assert "hold_max" in err.message
    err = await refused(h, "decide", {"outcome": "reject", "feedback": ["  "]})
    assert err.type == errors.ERR_INVALID_PAYLOAD
    assert "feedback.0: feedback lines must not be blank" in err.message
    err = await refused(h, "submit_feedback", {"interview_id": "i-9", "feedback": ["x"]})
    assert "unknown interview id 'i-9'" in err.message
    err = await refused(h, "decide", {"outcome": "advance"})
    assert "next_stage" in err.message
    err = await refused(h, "decide", {"outcome": "promote"})
    assert "outcome" in err.message

    await update(h, "decide", {"outcome": "offer"})
    err = await refused(h, "decide", {"outcome": "reject", "feedback": ["x"]})
    assert "already decided (offer)" in err.message
    err = await refused(h, "withdraw", {})
    assert "already decided" in err.message

    history = await h.fetch_history()
    accepted = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted) == 1  # only the offer reached history


async def test_malformed_signals_are_kept_as_rejected_inputs_and_the_candidacy_runs_on(
    harness: Harness,
) -> None:
    h = await harness.start()
    await signal_interview(h, {"interview_id": "i-1", "stage": "technical"})
    await signal_interview(h, {**interview("i-2"), "duration": "ninety minutes"})
    await signal_interview(h, "not an object")
    await signal_interview(h, {**interview("i-3"), "feedback": [""]})
    await h.signal("interview_complete", interview("i-4"))  # a typo in the signal name
    await signal_interview(
        h, interview("i-5", feedback=["Your pairing session went fine overall."])
    )
    st = await harness.until(h, lambda s: len(s.interviews) == 1 and len(s.rejected_inputs) == 5)
    reasons = [r.reason for r in st.rejected_inputs]
    assert "interviewer_email: Field required" in reasons[0]
    assert "duration" in reasons[1]
    assert reasons[2].startswith("payload: Input should be a valid dictionary")
    assert "feedback lines must not be blank" in reasons[3]
    assert st.rejected_inputs[4].source == "signal:interview_complete"
    assert [iv.interview_id for iv in st.interviews] == ["i-5"]
    assert st.state == "active"


async def test_a_resent_interview_signal_is_recorded_once(harness: Harness) -> None:
    h = await harness.start()
    for _ in range(3):
        await signal_interview(h, interview("i-1"))
    st = await harness.delivered(h, 2)
    assert len(st.interviews) == 1
    assert st.hours_invested == 1.5
    assert harness.kinds().count("feedback_reminder") == 1
    assert st.rejected_inputs == []


async def test_unreadable_start_input_ends_as_refused_with_the_reason(harness: Harness) -> None:
    cid = f"c-{uuid.uuid4().hex[:8]}"
    bad = candidacy_input().model_dump(mode="json")
    bad["candidate"] = {"id": cid, "name": "", "email": "not-an-email"}
    h = harness.track(
        await harness.client.start_workflow(
            contract.CANDIDACY_WORKFLOW,
            bad,
            id=f"candidacy-r-7-{cid}",
            task_queue=harness.settings.task_queue,
        )
    )
    result = await harness.result(h)
    assert result.state == "refused"
    reason = result.rejected_inputs[0].reason
    assert "candidate.name" in reason
    assert "candidate.email" in reason
    assert harness.kinds() == []

    good = candidacy_input()
    h = harness.track(
        await harness.client.start_workflow(
            contract.CANDIDACY_WORKFLOW,
            good,
            id=f"candidacy-elsewhere-{cid}",
            task_queue=harness.settings.task_queue,
        )
    )
    result = await harness.result(h)
    assert result.state == "refused"
    assert "workflow id must be" in result.rejected_inputs[0].reason


async def test_an_interview_signalled_together_with_the_start_is_not_lost(
    harness: Harness,
) -> None:
    inp = candidacy_input()
    h = harness.track(
        await harness.client.start_workflow(
            contract.CANDIDACY_WORKFLOW,
            inp,
            id=contract.candidacy_workflow_id(inp.role.id, inp.candidate.id),
            task_queue=harness.settings.task_queue,
            start_signal=contract.SIGNAL_INTERVIEW_COMPLETED,
            start_signal_args=[interview("i-1", feedback=["Arrived with the start."])],
        )
    )
    st = await harness.delivered(h, 1)
    assert [iv.interview_id for iv in st.interviews] == ["i-1"]
    assert st.rejected_inputs == []


async def test_a_candidate_who_may_not_be_emailed_is_sent_nothing_and_the_rest_runs(
    harness: Harness,
) -> None:
    h = await harness.start(candidate={"can_email": False})
    await record(harness, h, interview("i-1"))
    # The interviewer is still asked for lines: staff mail goes.
    await harness.until(h, lambda st: any(m.kind == "feedback_reminder" and m.status ==
                                          "delivered" for m in st.messages))  # fmt: skip
    await h.execute_update(
        contract.UPDATE_SUBMIT_FEEDBACK,
        {"interview_id": "i-1", "feedback": [REASON]},
    )
    await h.execute_update(contract.UPDATE_DECIDE, {"outcome": "reject"})
    st = await harness.result(h)
    assert st.state == "completed" and st.candidate_mail == "off"
    to_candidate = [m for m in st.messages if m.recipient == "candidate"]
    assert {m.kind for m in to_candidate} >= {"acknowledgement", "rejection"}
    assert all(m.status == "withheld" for m in to_candidate)
    # Nothing reached the candidate's address; the interviewer's reminder did.
    assert harness.messages(to="ada@example.org") == []
    assert [m["X-Heardback-Kind"] for m in harness.messages()] == ["feedback_reminder"]
