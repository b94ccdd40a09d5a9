"""The pure policy, without Temporal: unit cases and properties over any sequence of events."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heardback.workflows import policy
from heardback.workflows.models import (
    FINAL_KINDS,
    CandidacyInput,
    CandidacyState,
    Decide,
    InterviewCompleted,
    OutgoingMessage,
    Policy,
    SubmitFeedback,
    Withdraw,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECRET = "INTERNAL-NOTE-never-for-candidates"


def make_state(pol: Policy | None = None, survey: bool = False) -> CandidacyState:
    inp = CandidacyInput.model_validate(
        {
            "role": {
                "id": "r-7",
                "title": "Backend Engineer",
                "company": "Acme",
                "contact_email": "hiring@acme.example",
                "survey_url": "https://acme.example/s" if survey else None,
            },
            "candidate": {"id": "c-42", "name": "Ada Lovelace", "email": "ada@example.org"},
            "policy": (pol or Policy()).model_dump(),
        }
    )
    s = policy.new_state(inp, "candidacy-r-7-c-42", T0)
    policy.start(s, T0)
    return s


@dataclass
class Sim:
    """Drives the policy as the workflow does, with instant delivery."""

    s: CandidacyState
    now: datetime = T0
    delivered: list[tuple[datetime, OutgoingMessage]] = field(default_factory=list)

    def deliver(self) -> None:
        while self.s.outbox:
            msg = self.s.outbox[0]
            self.delivered.append((self.now, msg))
            policy.on_delivered(self.s, msg.message_id, self.now)

    def advance(self, until: datetime) -> None:
        for _ in range(20_000):
            self.deliver()
            d = policy.next_deadline(self.s)
            if d is None or d.due_at > until:
                break
            self.now = max(self.now, d.due_at)
            policy.tick(self.s, self.now)
        else:  # pragma: no cover - a policy that never settles is the bug we look for
            raise AssertionError("policy did not settle")
        self.now = max(self.now, until)
        policy.tick(self.s, self.now)
        self.deliver()

    def candidate_messages(self) -> list[tuple[datetime, OutgoingMessage]]:
        return [(t, m) for t, m in self.delivered if m.recipient == "candidate"]

    def kinds(self, recipient: str | None = None) -> list[str]:
        return [m.kind for _, m in self.delivered if recipient in (None, m.recipient)]


def interview(
    iid: str = "i-1",
    *,
    feedback: list[str] | None = None,
    hours: float = 1.5,
    stage: str = "technical",
) -> InterviewCompleted:
    return InterviewCompleted(
        interview_id=iid,
        stage=stage,
        interviewer_email="bob@acme.example",
        duration=timedelta(hours=hours),
        feedback=feedback or [],
        internal_notes=SECRET,
    )


# --- unit cases ------------------------------------------------------------------------------


def test_start_queues_exactly_one_acknowledgement_to_the_candidate() -> None:
    s = make_state()
    assert [(m.kind, m.recipient) for m in s.outbox] == [("acknowledgement", "candidate")]
    assert s.outbox[0].message_id == "candidacy-r-7-c-42.000.acknowledgement"


def test_silence_deadline_counts_from_the_last_delivery_not_from_queueing() -> None:
    sim = Sim(make_state(Policy(decision_due=timedelta(days=30))))
    sim.now = T0 + timedelta(hours=5)  # the acknowledgement is delivered late
    sim.deliver()
    d = policy.next_deadline(sim.s)
    assert d is not None
    assert (d.kind, d.due_at) == ("silence", T0 + timedelta(hours=5, days=7))


def test_no_silence_deadline_while_a_candidate_message_is_still_in_flight() -> None:
    s = make_state(Policy(decision_due=timedelta(days=30)))
    assert all(d.kind != "silence" for d in policy.deadlines(s))


def test_reject_without_reasons_is_refused_once_effort_threshold_is_reached() -> None:
    sim = Sim(make_state())
    sim.deliver()
    policy.record_interview(sim.s, interview(hours=3, feedback=["ok"]), T0)
    problem = policy.validate_decision(sim.s, Decide(outcome="reject"), T0)
    assert problem is not None
    assert "written reasons" in problem
    assert policy.validate_decision(sim.s, Decide(outcome="reject", feedback=["why"]), T0) is None


def test_hold_until_past_hold_max_is_refused_with_the_latest_allowed_date() -> None:
    s = make_state()
    too_late = T0 + timedelta(days=22)
    problem = policy.validate_decision(s, Decide(outcome="hold", hold_until=too_late), T0)
    assert problem is not None
    assert "hold_max" in problem
    assert (T0 + timedelta(days=21)).isoformat() in problem


def test_unknown_interview_id_is_refused_with_the_known_ids() -> None:
    s = make_state()
    policy.record_interview(s, interview("i-1"), T0)
    problem = policy.validate_feedback(s, SubmitFeedback(interview_id="i-9", feedback=["x"]))
    assert problem is not None
    assert "i-9" in problem
    assert "i-1" in problem


def test_any_decision_after_the_outcome_is_refused() -> None:
    s = make_state()
    policy.decide(s, Decide(outcome="offer"), T0)
    for cmd in (Decide(outcome="reject", feedback=["x"]), Decide(outcome="offer")):
        problem = policy.validate_decision(s, cmd, T0)
        assert problem is not None
        assert "already decided" in problem
    assert policy.validate_withdraw(s, Withdraw()) is not None


def test_blank_feedback_lines_are_refused_by_the_contract() -> None:
    with pytest.raises(ValueError, match="must not be blank"):
        SubmitFeedback(interview_id="i-1", feedback=["   "])
    with pytest.raises(ValueError, match="must not be blank"):
        Decide(outcome="reject", feedback=["fine", ""])


def test_advance_requires_next_stage() -> None:
    with pytest.raises(ValueError, match="next_stage"):
        Decide(outcome="advance")


def test_rejection_carries_every_rounds_feedback_even_lines_sent_before() -> None:
    sim = Sim(make_state())
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1", feedback=["clear design"]), T0)
    policy.decide(sim.s, Decide(outcome="advance", next_stage="onsite"), T0)
    policy.record_interview(sim.s, interview("i-2", feedback=["good tests"], stage="onsite"), T0)
    sim.deliver()
    policy.decide(sim.s, Decide(outcome="reject", feedback=["more depth needed"]), T0)
    sim.deliver()
    rejection = next(m for _, m in sim.delivered if m.kind == "rejection")
    lines = [line for sec in rejection.content.feedback for line in sec.lines]
    assert lines == ["clear design", "good tests"]
    assert rejection.content.decision_lines == ["more depth needed"]


def test_hold_expiry_extends_once_to_hold_max_then_rejects() -> None:
    sim = Sim(make_state(Policy(max_silence=timedelta(days=30))))
    sim.deliver()
    policy.decide(sim.s, Decide(outcome="hold", hold_until=T0 + timedelta(days=5)), T0)
    sim.advance(T0 + timedelta(days=5))
    assert sim.kinds("candidate")[-1] == "delay_explanation"
    assert sim.s.hold_until == T0 + timedelta(days=21)
    assert "escalation" in sim.kinds("contact")
    sim.advance(T0 + timedelta(days=21))
    assert sim.s.outcome == "rejected"
    assert sim.kinds("candidate")[-1] == "rejection"
    assert sim.s.state == "completed"


def test_late_feedback_after_the_outcome_is_still_delivered_then_survey() -> None:
    sim = Sim(make_state(survey=True))
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1"), T0)
    sim.deliver()
    assert sim.kinds("interviewer") == ["feedback_reminder"]
    policy.decide(sim.s, Decide(outcome="reject", feedback=["not this time"]), T0)
    sim.deliver()
    assert sim.s.state == "finishing"  # feedback still owed: no survey yet
    assert "survey" not in sim.kinds()
    policy.submit_feedback(sim.s, SubmitFeedback(interview_id="i-1", feedback=["nice"]), T0)
    sim.deliver()
    assert sim.kinds("candidate")[-2:] == ["feedback_update", "survey"]
    assert policy.is_complete(sim.s)


def test_feedback_never_written_ends_with_an_honest_apology() -> None:
    sim = Sim(make_state())
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1"), T0)
    policy.decide(sim.s, Decide(outcome="offer"), T0)
    sim.advance(T0 + timedelta(days=31))
    last = [m for _, m in sim.candidate_messages()][-1]
    assert last.kind == "feedback_update"
    assert last.content.unavailable_feedback_stages == ["technical"]
    assert sim.s.state == "completed"


def test_internal_notes_are_not_kept_in_state() -> None:
    s = make_state()
    policy.record_interview(s, interview("i-1", feedback=["x"]), T0)
    assert SECRET not in s.model_dump_json()


# --- properties ------------------------------------------------------------------------------

durations = st.integers(min_value=6, max_value=24 * 12).map(lambda h: timedelta(hours=h))
policies = st.builds(
    Policy,
    max_silence=durations,
    decision_due=durations,
    feedback_due=durations,
    hold_max=durations,
    effort_threshold=st.integers(1, 6).map(lambda h: timedelta(hours=h)),
    feedback_wait_max=durations,
)
iids = st.sampled_from(["i-1", "i-2", "i-3"])
lines = st.lists(st.sampled_from(["clear", "kind", "precise", "curious"]), max_size=2)

events = st.one_of(
    st.builds(
        lambda iid, fb, h, stage: ("interview", interview(iid, feedback=fb, hours=h, stage=stage)),
        iids,
        lines,
        st.sampled_from([0.5, 1.0, 2.0, 3.5]),
        st.sampled_from(["screen", "tech"]),
    ),
    st.builds(
        lambda iid, fb: ("feedback", SubmitFeedback(interview_id=iid, feedback=fb)),
        iids,
        st.lists(st.sampled_from(["clear", "kind"]), min_size=1, max_size=2),
    ),
    st.builds(
        lambda fb, stage: ("decide", Decide(outcome="advance", next_stage=stage, feedback=fb)),
        lines,
        st.sampled_from(["tech", "onsite", "final"]),
    ),
    st.builds(lambda fb: ("decide", Decide(outcome="reject", feedback=fb)), lines),
    st.builds(lambda fb: ("decide", Decide(outcome="offer", feedback=fb)), lines),
    st.builds(lambda h: ("hold", h), st.none() | st.integers(1, 24 * 25)),
    st.just(("withdraw", Withdraw(reason="took another job"))),
)
steps = st.lists(
    st.tuples(st.integers(0, 24 * 15).map(lambda h: timedelta(hours=h)), events), max_size=12
)


def apply(sim: Sim, kind: str, payload: object) -> None:
    s, now = sim.s, sim.now
    before = s.model_dump_json()
    if kind == "interview":
        assert isinstance(payload, InterviewCompleted)
        if policy.validate_interview(s, payload) is None:
            policy.record_interview(s, payload, now)
        return
    if kind == "feedback":
        assert isinstance(payload, SubmitFeedback)
        problem = policy.validate_feedback(s, payload)
        if problem is None:
            policy.submit_feedback(s, payload, now)
        else:
            assert s.model_dump_json() == before
        return
    if kind == "hold":
        hold_until = None if payload is None else now + timedelta(hours=int(str(payload)))
        cmd = Decide(outcome="hold", hold_until=hold_until)
    elif kind == "withdraw":
        assert isinstance(payload, Withdraw)
        if policy.validate_withdraw(s, payload) is None:
            policy.withdraw(s, payload, now)
        return
    else:
        assert isinstance(payload, Decide)
        cmd = payload
    problem = policy.validate_decision(s, cmd, now)
    if problem is None:
        policy.decide(s, cmd, now)
    else:
        assert s.model_dump_json() == before, "a refused command must change nothing"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pol=policies, script=steps, survey=st.booleans())
def test_any_history_keeps_every_promise(
    pol: Policy, script: list[tuple[timedelta, tuple[str, object]]], survey: bool
) -> None:
    sim = Sim(make_state(pol, survey=survey))
    sim.deliver()
    for delay, (kind, payload) in script:
        sim.advance(sim.now + delay)
        apply(sim, kind, payload)
        sim.deliver()
    end = sim.now + pol.feedback_wait_max + pol.hold_max + pol.max_silence * 3
    sim.advance(end)

    # 1. No silence: no gap between delivered candidate messages exceeds max_silence, and the
    #    candidate is not left waiting at the end unless the candidacy has completed.
    times = [T0] + [t for t, _ in sim.candidate_messages()]
    for earlier, later in itertools.pairwise(times):
        assert later - earlier <= pol.max_silence
    if sim.s.state != "completed":
        assert end - times[-1] <= pol.max_silence

    # 4/8. At most one final message ever; exactly one for a completed candidacy.
    finals = [m for _, m in sim.candidate_messages() if m.kind in FINAL_KINDS]
    assert len(finals) <= 1
    if sim.s.state == "completed":
        assert len(finals) == 1
        # 2. Every round's feedback was delivered, or the candidate was told it never came.
        told_unavailable = {
            stage
            for _, m in sim.candidate_messages()
            for stage in m.content.unavailable_feedback_stages
        }
        for iv in sim.s.interviews.values():
            assert (iv.feedback and iv.delivered_lines == len(iv.feedback)) or (
                iv.abandoned and iv.stage in told_unavailable
            )

    # 7. Ask last: the survey follows the final message and all owed feedback.
    kinds = [m.kind for _, m in sim.candidate_messages()]
    if "survey" in kinds:
        assert survey
        assert kinds[-1] == "survey"
        assert kinds.count("survey") == 1
        assert any(k in FINAL_KINDS for k in kinds[:-1])
    else:
        assert not (survey and sim.s.state == "completed")

    # Message ids are unique (a stable id per obligation), and notes never reach anyone.
    ids = [m.message_id for _, m in sim.delivered]
    assert len(ids) == len(set(ids))
    assert all(SECRET not in m.model_dump_json() for _, m in sim.delivered)

    # 3. Effort earns more: a decided rejection after the threshold carries written reasons.
    for _, m in sim.candidate_messages():
        if m.kind == "rejection" and not m.content.automatic:
            hours = m.content.hours_invested
            if hours >= pol.effort_threshold.total_seconds() / 3600:
                assert m.content.decision_lines
