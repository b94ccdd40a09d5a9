"""The pure policy, without Temporal: unit cases and properties over any sequence of events."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heardback.activities.render import Renderer
from heardback.workflows import policy, views
from heardback.workflows.models import (
    FINAL_KINDS,
    CandidacyInput,
    CandidacyState,
    Decide,
    DeliveryRequest,
    InterviewCompleted,
    OfferUpdate,
    OutgoingMessage,
    Policy,
    SubmitFeedback,
    Withdraw,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECRET = "INTERNAL-NOTE-never-for-candidates"
REASON = "Your design answer did not cover the failure cases this team handles every week."


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

    held_until: datetime | None = None  # a candidate message waits for their quiet hours

    def deliver(self) -> None:
        """Deliver what the courier would send now (quiet hours respected)."""
        self.held_until = None
        while self.s.outbox:
            msg, wake = policy.next_to_send(self.s, self.now)
            if msg is None:
                self.held_until = wake
                return
            self.delivered.append((self.now, msg))
            policy.on_delivered(self.s, msg.message_id, self.now)

    def advance(self, until: datetime) -> None:
        for _ in range(20_000):
            self.deliver()
            d = policy.next_deadline(self.s)
            due = [t for t in (d.due_at if d else None, self.held_until) if t is not None]
            if not due or min(due) > until:
                break
            self.now = max(self.now, min(due))
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
    # From 1.4 the update is queued an hour early, so it is delivered within the 7 days.
    assert (d.kind, d.due_at) == ("silence", T0 + timedelta(hours=4, days=7))


def test_a_run_from_before_1_4_keeps_its_silence_limit_without_the_margin() -> None:
    sim = Sim(make_state(Policy(decision_due=timedelta(days=30))))
    sim.s.patched = [p for p in sim.s.patched if p != policy.PATCH_SILENCE]
    sim.now = T0 + timedelta(hours=5)
    sim.deliver()
    d = policy.next_deadline(sim.s)
    assert d is not None
    assert (d.kind, d.due_at) == ("silence", T0 + timedelta(hours=5, days=7))


def test_a_compressed_silence_limit_keeps_at_most_half_of_itself_as_margin() -> None:
    sim = Sim(
        make_state(Policy(max_silence=timedelta(minutes=10), decision_due=timedelta(days=30)))
    )
    sim.deliver()
    d = policy.next_deadline(sim.s)
    assert d is not None
    assert (d.kind, d.due_at) == ("silence", T0 + timedelta(minutes=5))


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
    stock = policy.validate_decision(
        sim.s, Decide(outcome="reject", feedback=["Not this time."]), T0
    )
    assert stock is not None
    assert "stock phrase" in stock
    short = policy.validate_decision(sim.s, Decide(outcome="reject", feedback=["Weak tests."]), T0)
    assert short is not None
    assert "12 words" in short
    assert policy.validate_decision(sim.s, Decide(outcome="reject", feedback=[REASON]), T0) is None


def test_a_hold_past_the_threshold_must_carry_the_reasons_an_expiry_would_send() -> None:
    sim = Sim(make_state())
    sim.deliver()
    policy.record_interview(sim.s, interview(hours=4, feedback=["ok"]), T0)
    problem = policy.validate_decision(sim.s, Decide(outcome="hold"), T0)
    assert problem is not None
    assert "if the hold expires" in problem
    assert policy.validate_decision(sim.s, Decide(outcome="hold", feedback=[REASON]), T0) is None


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
    policy.decide(sim.s, Decide(outcome="reject", feedback=[REASON]), T0)
    sim.deliver()
    rejection = next(m for _, m in sim.delivered if m.kind == "rejection")
    lines = [line for sec in rejection.content.feedback for line in sec.lines]
    assert lines == ["clear design", "good tests"]
    assert rejection.content.decision_lines == [REASON]


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
    later = T0 + timedelta(hours=3)
    sim.advance(later)
    policy.submit_feedback(sim.s, SubmitFeedback(interview_id="i-1", feedback=["nice"]), later)
    sim.deliver()
    assert sim.kinds("candidate")[-1] == "feedback_update"
    sim.advance(later + timedelta(days=3))
    assert sim.kinds("candidate")[-2:] == ["feedback_update", "survey"]
    # The survey waits survey_delay (P2D) after the last of the outcome and the feedback.
    (t_feedback, _), (t_survey, _) = sim.candidate_messages()[-2:]
    assert t_survey - t_feedback >= timedelta(days=2)
    assert policy.is_complete(sim.s)


def test_no_survey_after_a_withdrawal_and_the_confirmation_says_so() -> None:
    sim = Sim(make_state(survey=True))
    sim.deliver()
    policy.withdraw(sim.s, Withdraw(reason="took another job"), T0)
    sim.advance(T0 + timedelta(days=30))
    assert sim.kinds("candidate") == ["acknowledgement", "withdrawal_confirmation"]
    assert sim.candidate_messages()[-1][1].content.survey_follows is False
    assert sim.s.state == "completed"


def test_an_offer_keeps_its_promise_of_written_details_and_gets_no_survey_until_settled() -> None:
    sim = Sim(make_state(survey=True))
    sim.deliver()
    policy.decide(sim.s, Decide(outcome="offer"), T0)  # Monday 2 November 2026, 09:00 UTC
    sim.deliver()
    offer = sim.candidate_messages()[-1][1]
    # P3D of working days from a Monday: Thursday, same time.
    assert offer.content.offer_details_by == T0 + timedelta(days=3)
    sim.advance(T0 + timedelta(days=3, hours=1))  # the details did not come
    assert sim.kinds("candidate")[-1] == "delay_explanation"
    assert sim.candidate_messages()[-1][1].content.reason == "offer_details_late"
    assert "escalation" in sim.kinds("contact")
    now = sim.now
    policy.offer_update(sim.s, OfferUpdate(event="details_sent"), now)
    sim.advance(now + timedelta(days=10))
    assert "survey" not in sim.kinds()  # holding an offer: no survey until it is settled
    assert sim.s.state == "finishing"
    now = sim.now
    assert policy.validate_offer_update(sim.s, OfferUpdate(event="accepted")) is None
    policy.offer_update(sim.s, OfferUpdate(event="accepted"), now)
    sim.advance(now + timedelta(days=3))
    assert sim.kinds("candidate")[-1] == "survey"
    assert policy.is_complete(sim.s)


def test_a_round_sat_during_a_hold_that_crosses_the_threshold_asks_for_reasons() -> None:
    sim = Sim(make_state())
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1", hours=1, feedback=["ok"]), T0)
    policy.decide(sim.s, Decide(outcome="hold"), T0)  # 1 h: no reasons needed yet
    sim.deliver()
    policy.record_interview(sim.s, interview("i-2", hours=2.5, feedback=["ok"]), T0)
    sim.deliver()
    asks = [m for _, m in sim.delivered if m.content.reason == "hold_needs_reasons"]
    assert [(m.kind, m.recipient) for m in asks] == [("escalation", "contact")]
    # Asked once; a new hold with reasons is accepted and carries them to any expiry.
    policy.record_interview(sim.s, interview("i-3", hours=0.5, feedback=["ok"]), T0)
    sim.deliver()
    assert len([m for _, m in sim.delivered if m.content.reason == "hold_needs_reasons"]) == 1
    cmd = Decide(outcome="hold", feedback=[REASON])
    assert policy.validate_decision(sim.s, cmd, T0) is None
    policy.decide(sim.s, cmd, T0)
    sim.advance(T0 + timedelta(days=22))
    rejection = sim.candidate_messages()[-1][1]
    assert rejection.kind == "rejection" and rejection.content.decision_lines == [REASON]


def test_a_hold_that_runs_out_past_the_threshold_without_reasons_does_not_reject() -> None:
    sim = Sim(make_state(Policy(max_silence=timedelta(days=30))))
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1", hours=1, feedback=["ok"]), T0)
    policy.decide(sim.s, Decide(outcome="hold"), T0)
    policy.record_interview(sim.s, interview("i-2", hours=3, feedback=["ok"]), T0)
    sim.advance(T0 + timedelta(days=22))  # nobody wrote the reasons; hold_max has passed
    assert "rejection" not in sim.kinds()
    assert sim.s.state == "active"  # the decision is overdue instead, and explained
    assert sim.kinds("candidate")[-1] == "delay_explanation"
    asks = [m for _, m in sim.delivered if m.content.reason == "hold_needs_reasons"]
    assert len(asks) == 2  # when the round carried them past it, and when the hold ran out


def test_a_withdrawn_candidate_waiting_for_feedback_is_not_told_of_a_decision() -> None:
    sim = Sim(make_state(Policy(max_silence=timedelta(days=3))))
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1"), T0)
    policy.withdraw(sim.s, Withdraw(reason="moving"), T0)
    sim.advance(T0 + timedelta(days=4))
    update = sim.candidate_messages()[-1][1]
    assert update.kind == "status_update"
    assert update.content.waiting_on == "feedback_after_withdrawal"
    assert update.content.feedback_expected_by == T0 + timedelta(days=30)
    text = body(sim.s, update)
    assert "withdrawn" in text and "already have our decision" not in text


def test_late_feedback_during_the_surveys_wait_makes_it_wait_again() -> None:
    sim = Sim(make_state(survey=True))
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1", feedback=["first line"]), T0)
    policy.decide(sim.s, Decide(outcome="reject"), T0)
    sim.advance(T0 + timedelta(days=1))
    policy.submit_feedback(sim.s, SubmitFeedback(interview_id="i-1", feedback=["more"]), sim.now)
    sim.deliver()
    late = sim.now
    sim.advance(T0 + timedelta(days=5))
    t_survey, survey_msg = sim.candidate_messages()[-1]
    assert survey_msg.kind == "survey"
    assert t_survey - late >= timedelta(days=2)


def test_staff_deadlines_count_working_days_of_the_roles_calendar() -> None:
    s = make_state()
    s.role = s.role.model_copy(update={"time_zone": "Europe/Berlin", "holiday_calendar": "DE"})
    # Thursday 24 December 2026, 10:00 in Berlin, + 1 working day: Friday is Christmas Day,
    # then the weekend: Monday 28 December, 10:00 Berlin.
    christmas_eve = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    monday = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
    assert policy.staff_due(s, christmas_eve, timedelta(days=1)) == monday
    # Without a holiday calendar only the weekend is skipped: Friday 25th.
    s.role = s.role.model_copy(update={"holiday_calendar": None})
    assert policy.staff_due(s, christmas_eve, timedelta(days=1)) == christmas_eve + timedelta(1)
    # Friday + 2 working days: Tuesday, same local time (across the end of summer time too).
    friday = datetime(2026, 10, 23, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert policy.staff_due(s, friday, timedelta(days=2)) == datetime(
        2026, 10, 27, 9, 0, tzinfo=UTC
    )
    # Under a day is clock time (compressed demos), and "calendar" turns working days off.
    assert policy.staff_due(s, friday, timedelta(hours=30)) == friday + timedelta(hours=30)
    s.policy = s.policy.model_copy(update={"staff_days": "calendar"})
    assert policy.staff_due(s, friday, timedelta(days=1)) == friday + timedelta(days=1)


def test_quiet_hours_hold_a_decision_until_morning_in_the_candidates_zone() -> None:
    s = make_state(Policy(max_silence=timedelta(days=7), decision_due=timedelta(days=5)))
    s.candidate = s.candidate.model_copy(update={"time_zone": "Asia/Tokyo"})
    sim = Sim(s)
    sim.deliver()  # the acknowledgement went at once (09:00 UTC is 18:00 in Tokyo)
    late = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    sim.now = late
    policy.decide(sim.s, Decide(outcome="advance", next_stage="onsite"), late)
    sim.deliver()
    assert sim.kinds("candidate") == ["acknowledgement"]  # the stage result waits
    assert sim.held_until == datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo
    sim.advance(late + timedelta(hours=12))
    assert sim.kinds("candidate") == ["acknowledgement", "stage_result"]
    assert sim.candidate_messages()[-1][0] == datetime(2026, 11, 2, 23, 0, tzinfo=UTC)


def test_quiet_hours_never_hold_a_message_past_a_promise() -> None:
    # A compressed policy: waiting until the morning would break the silence limit.
    s = make_state(Policy(max_silence=timedelta(hours=2), decision_due=timedelta(hours=1)))
    s.candidate = s.candidate.model_copy(update={"time_zone": "Asia/Tokyo"})
    sim = Sim(s)
    sim.deliver()
    late = datetime(2026, 11, 2, 9, 30, tzinfo=UTC) + timedelta(hours=5)
    sim.advance(late)
    sim.now = late
    policy.decide(sim.s, Decide(outcome="advance", next_stage="onsite"), late)
    sim.deliver()
    assert sim.candidate_messages()[-1] == (late, sim.candidate_messages()[-1][1])
    assert sim.kinds("candidate")[-1] == "stage_result"


def test_a_refused_message_does_not_block_the_next_and_the_contact_gets_its_lines() -> None:
    sim = Sim(make_state())
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1", feedback=["x" * 1600]), T0)
    policy.decide(sim.s, Decide(outcome="advance", next_stage="onsite"), T0)
    stage_result = sim.s.outbox[0]
    policy.on_failed(sim.s, stage_result.message_id, T0, "554 refused", address=False)
    kinds = [(m.kind, m.recipient) for m in sim.s.outbox]
    assert kinds == [("escalation", "contact"), ("stage_result", "candidate")]
    escalation, plain = sim.s.outbox
    assert escalation.content.reason == "message_refused"
    assert escalation.content.feedback[0].lines == ["x" * 1600]  # the contact can pass it on
    assert plain.content.plain_resend and not plain.content.feedback
    assert not sim.s.candidate_unreachable
    sim.deliver()
    policy.decide(sim.s, Decide(outcome="reject", feedback=[REASON]), T0)
    sim.deliver()
    assert sim.kinds("candidate")[-1] == "rejection"  # later messages still go out


def test_feedback_never_written_ends_with_an_honest_apology() -> None:
    sim = Sim(make_state())
    sim.deliver()
    policy.record_interview(sim.s, interview("i-1"), T0)
    policy.decide(sim.s, Decide(outcome="offer"), T0)
    policy.offer_update(sim.s, OfferUpdate(event="details_sent"), T0)
    policy.offer_update(sim.s, OfferUpdate(event="declined"), T0)
    sim.advance(T0 + timedelta(days=31))
    last = [m for _, m in sim.candidate_messages()][-1]
    assert last.kind == "feedback_update"
    assert last.content.unavailable_feedback_stages == ["technical"]
    assert sim.s.state == "completed"


def test_internal_notes_reach_the_contacts_page_and_no_message_or_status() -> None:
    """Since 1.2 the notes are kept (encrypted, like all state) for the hiring contact's
    decision page; they never enter a message, the status, or what the candidate's page shows."""
    s = make_state()
    policy.record_interview(s, interview("i-1", feedback=["x"]), T0)
    policy.decide(s, Decide(outcome="advance", next_stage="onsite"), T0 + timedelta(hours=1))
    assert s.outbox, "the decision queued a message"
    for msg in s.outbox:
        assert SECRET not in msg.model_dump_json()
    assert SECRET not in policy.status(s).model_dump_json()
    view = views.page_view(s)
    assert view.interviews[0].internal_notes == [SECRET]
    assert SECRET not in json.dumps([r.model_dump(mode="json") for r in view.received])


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
    survey_delay=durations,
    offer_details_due=durations,
    quiet_hours=st.sampled_from([None, "21:00/08:00", "13:00/02:00"]),
    staff_days=st.sampled_from(["working", "calendar"]),
)
zones = st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin"])
iids = st.sampled_from(["i-1", "i-2", "i-3"])
REASONS = [
    REASON,
    "We needed deeper experience running PostgreSQL at scale than your answers showed us.",
    "Not this time.",  # a stock phrase: refused as reasons past the threshold
    "Weak tests.",  # too short to be written reasons
]
lines = st.lists(st.sampled_from(["clear", "kind", "precise", "curious"]), max_size=2)
reasons = st.lists(st.sampled_from(REASONS), max_size=2, unique=True)

events = st.one_of(
    st.builds(
        lambda iid, fb, h, stage: ("interview", interview(iid, feedback=fb, hours=h, stage=stage)),
        iids,
        lines,
        st.sampled_from([0.5, 1.0, 2.0, 3.5]),
        st.sampled_from(["screen", "tech_screen_2"]),
    ),
    st.builds(
        lambda iid, fb: ("feedback", SubmitFeedback(interview_id=iid, feedback=fb)),
        iids,
        st.lists(st.sampled_from(["clear", "kind"]), min_size=1, max_size=2),
    ),
    st.builds(
        lambda fb, stage: ("decide", Decide(outcome="advance", next_stage=stage, feedback=fb)),
        lines,
        st.sampled_from(["tech_screen_2", "onsite", "final"]),
    ),
    st.builds(lambda fb: ("decide", Decide(outcome="reject", feedback=fb)), reasons),
    st.builds(lambda fb: ("decide", Decide(outcome="offer", feedback=fb)), lines),
    st.builds(lambda h, fb: ("hold", (h, fb)), st.none() | st.integers(1, 24 * 25), reasons),
    st.just(("withdraw", Withdraw(reason="took another job"))),
    st.builds(
        lambda e: ("offer_update", OfferUpdate(event=e)),
        st.sampled_from(["details_sent", "accepted", "declined"]),
    ),
)
steps = st.lists(
    st.tuples(st.integers(0, 24 * 15).map(lambda h: timedelta(hours=h)), events), max_size=12
)


@dataclass
class Ledger:
    """What the script did, kept by the test itself (not read back from the policy)."""

    minutes: dict[str, int] = field(default_factory=dict)  # accepted interviews' durations
    lines: set[str] = field(default_factory=set)  # every accepted candidate-facing line
    hold_reasons: list[str] = field(default_factory=list)
    rejected_with: list[str] | None = None
    effort_at_rejection: int = 0  # minutes
    withdrew: bool = False
    settled: datetime | None = None


def apply(sim: Sim, kind: str, payload: object, book: Ledger) -> None:
    s, now = sim.s, sim.now
    before = s.model_dump_json()
    if kind == "interview":
        assert isinstance(payload, InterviewCompleted)
        if policy.validate_interview(s, payload) is None:
            if payload.interview_id not in book.minutes:
                book.minutes[payload.interview_id] = int(payload.duration.total_seconds() // 60)
                book.lines.update(payload.feedback)
            policy.record_interview(s, payload, now)
        return
    if kind == "feedback":
        assert isinstance(payload, SubmitFeedback)
        problem = policy.validate_feedback(s, payload)
        if problem is None:
            book.lines.update(payload.feedback)
            policy.submit_feedback(s, payload, now)
        else:
            assert s.model_dump_json() == before
        return
    if kind == "offer_update":
        assert isinstance(payload, OfferUpdate)
        if policy.validate_offer_update(s, payload) is None:
            if payload.event != "details_sent":
                book.settled = now
            policy.offer_update(s, payload, now)
        else:
            assert s.model_dump_json() == before
        return
    if kind == "hold":
        assert isinstance(payload, tuple)
        hours: int | None = payload[0]
        fb: list[str] = payload[1]
        hold_until = None if hours is None else now + timedelta(hours=hours)
        cmd = Decide(outcome="hold", hold_until=hold_until, feedback=fb)
    elif kind == "withdraw":
        assert isinstance(payload, Withdraw)
        if policy.validate_withdraw(s, payload) is None:
            book.withdrew = True
            policy.withdraw(s, payload, now)
        return
    else:
        assert isinstance(payload, Decide)
        cmd = payload
    problem = policy.validate_decision(s, cmd, now)
    if problem is None:
        if cmd.outcome == "hold":
            book.hold_reasons = list(cmd.feedback)
        elif cmd.outcome == "reject":
            book.rejected_with = list(cmd.feedback)
        if cmd.outcome in ("reject", "hold"):
            book.effort_at_rejection = sum(book.minutes.values())
        policy.decide(s, cmd, now)
    else:
        assert s.model_dump_json() == before, "a refused command must change nothing"


RENDERER = Renderer(mail_from="hiring@heardback.example", message_id_domain="heardback.example")


def body(s: CandidacyState, msg: OutgoingMessage) -> str:
    """The text the candidate reads, rendered as the delivery activity renders it."""
    req = DeliveryRequest(
        message=msg,
        workflow_id=s.workflow_id,
        thread_root_id=policy.thread_root_id(s),
        reply_to=s.role.contact_email,
    )
    subject, text = RENDERER.render_text(req)
    return subject + "\n" + text


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pol=policies, script=steps, survey=st.booleans(), zone=zones)
def test_any_history_keeps_every_promise(
    pol: Policy, script: list[tuple[timedelta, tuple[str, object]]], survey: bool, zone: str
) -> None:
    state = make_state(pol, survey=survey)
    state.candidate = state.candidate.model_copy(update={"time_zone": zone})
    sim = Sim(state)
    sim.deliver()
    book = Ledger()
    for delay, (kind, payload) in script:
        sim.advance(sim.now + delay)
        apply(sim, kind, payload, book)
        sim.deliver()
    end = sim.now + pol.feedback_wait_max * 2 + pol.hold_max + pol.max_silence * 3
    end += pol.survey_delay + pol.offer_details_due * 3
    sim.advance(end)
    delivered = sim.candidate_messages()
    texts = [(t, m, body(sim.s, m)) for t, m in delivered]
    kinds = [m.kind for _, m in delivered]

    # The acknowledgement of an application is never held (quiet hours or not).
    assert delivered[0][0] == T0
    assert kinds[0] == "acknowledgement"

    # 1. No silence: no gap between delivered candidate messages (before the survey) exceeds
    #    max_silence; at the end the candidate waits on nothing, or not longer than that.
    times = [T0] + [t for t, m in delivered if m.kind != "survey"]
    for earlier, later in itertools.pairwise(times):
        assert later - earlier <= pol.max_silence, (
            script,
            [(t.isoformat(), m.kind, m.content.reason) for t, m in sim.delivered],
        )
    finals = [m for _, m in delivered if m.kind in FINAL_KINDS]
    if sim.s.state != "completed":
        nothing_owed = bool(finals) and all(
            line in "".join(x for _, _, x in texts) for line in book.lines
        )
        assert nothing_owed or end - times[-1] <= pol.max_silence

    # 4/8. At most one final message ever; exactly one for a completed candidacy.
    assert len(finals) <= 1
    everything = "\n".join(text for _, _, text in texts)
    if sim.s.state == "completed":
        assert len(finals) == 1
        # 2. Every accepted feedback line reached the candidate, verbatim, or they were told
        #    plainly that a round's feedback could not be obtained.
        told_unavailable = any(m.content.unavailable_feedback_stages for _, m in delivered)
        for line in book.lines:
            assert line in everything or told_unavailable

    # 7. Ask last, and not at once: the survey follows the outcome and every line by at least
    #    survey_delay, never follows a withdrawal, and never reaches someone holding an offer
    #    that was not settled.
    if "survey" in kinds:
        assert survey
        assert kinds[-1] == "survey"
        assert kinds.count("survey") == 1
        assert any(k in FINAL_KINDS for k in kinds[:-1])
        assert not book.withdrew
        (t_before, _), (t_survey, _) = delivered[-2:]
        assert t_survey - t_before >= pol.survey_delay
        if "offer" in kinds:
            assert book.settled is not None or sim.s.offer_settled
        assert "anonymous" in texts[-1][2].lower()
    if book.withdrew:
        assert "survey" not in kinds

    # Message ids are unique (a stable id per obligation), and notes never reach anyone.
    ids = [m.message_id for _, m in sim.delivered]
    assert len(ids) == len(set(ids))
    assert all(SECRET not in m.model_dump_json() for _, m in sim.delivered)
    assert SECRET not in everything
    assert "tech_screen_2" not in everything  # stage ids never reach a candidate

    # 3. Effort earns reasons: a rejection (decided, or a hold that expired) after the
    #    threshold carries written reasons, in the delivered text, that are not a stock phrase.
    # (No round can be recorded once the outcome is decided: the effort at any rejection is
    # every accepted round's time, counted by the test.)
    threshold = pol.effort_threshold.total_seconds() / 60
    for _, m, text in texts:
        if m.kind != "rejection" or sum(book.minutes.values()) < threshold:
            continue
        given = book.hold_reasons if m.content.automatic else (book.rejected_with or [])
        shown = [line for line in given if line in text]
        assert shown, "past the threshold, a rejection must show its written reasons"
        assert sum(words(line) for line in shown) >= policy.REASON_MIN_WORDS
        assert any(line not in ("Not this time.", "Weak tests.") for line in shown)


def test_references_chain_the_candidates_conversation_from_its_root() -> None:
    sim = Sim(make_state(Policy(max_silence=timedelta(days=1), decision_due=timedelta(days=60))))
    sim.deliver()
    sim.advance(T0 + timedelta(days=25, hours=1))  # a status update every day
    sent = [m for _, m in sim.candidate_messages()]
    assert len(sent) > policy.REFERENCES_KEPT + 1
    policy.decide(sim.s, Decide(outcome="reject"), sim.now)
    rejection = sim.s.outbox[-1]
    chain = policy.references(sim.s, rejection)
    # The thread's root, then the latest messages, oldest first, at most REFERENCES_KEPT.
    assert chain[0] == sent[0].message_id == policy.thread_root_id(sim.s)
    assert chain[1:] == [m.message_id for m in sent[-(policy.REFERENCES_KEPT - 1) :]]
    assert len(chain) == policy.REFERENCES_KEPT
    assert policy.references(sim.s, sent[0]) == []  # the acknowledgement starts the thread
