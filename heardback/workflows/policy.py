"""The rules: what is owed to a candidate, to whom, and by when.

Pure and deterministic: every function takes the candidacy's state and the current time and
mutates the state, queueing messages in ``state.outbox``. Nothing here does I/O or reads a clock,
so the workflow can call it and tests (including property tests) can run it without Temporal.

The workflow around it is a thin loop: apply an event or a deadline, deliver what was queued,
report deliveries back with :func:`on_delivered`, and sleep until :func:`next_deadline`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from heardback.workflows.models import (
    FINAL_KINDS,
    CandidacyInput,
    CandidacyState,
    CloseRole,
    Deadline,
    DeadlineKind,
    Decide,
    FeedbackSection,
    FinalOutcome,
    InterviewCompleted,
    InterviewState,
    InterviewSummary,
    MessageContent,
    MessageKind,
    MessageRecord,
    OutgoingMessage,
    PauseRole,
    Recipient,
    RejectedInput,
    StageDecision,
    StageRecord,
    Status,
    SubmitFeedback,
    Withdraw,
)

MAX_REJECTED_INPUTS = 50
OPEN_STATES = ("active", "on_hold")
DONE_STATES = ("completed", "refused")


# --- construction ------------------------------------------------------------------------------


def new_state(inp: CandidacyInput, workflow_id: str, now: datetime) -> CandidacyState:
    """A fresh candidacy that has just been received; call :func:`start` next."""
    return CandidacyState(
        workflow_id=workflow_id,
        role=inp.role,
        candidate=inp.candidate,
        policy=inp.policy,
        started_at=now,
        stage_started_at=now,
        decision_anchor=now,
    )


def start(s: CandidacyState, now: datetime) -> list[str]:
    """Acknowledge the application: the first promise kept."""
    content = _content(s, now)
    content.next_contact_by = _next_contact_by(s, now)
    return [_enqueue(s, "acknowledgement", "candidate", content, now)]


# --- derived facts -----------------------------------------------------------------------------


def hours_invested(s: CandidacyState) -> float:
    total = sum((iv.duration for iv in s.interviews.values()), timedelta(0))
    return round(total.total_seconds() / 3600, 2)


def effort_requires_reasons(s: CandidacyState) -> bool:
    total = sum((iv.duration for iv in s.interviews.values()), timedelta(0))
    return total >= s.policy.effort_threshold


def thread_root_id(s: CandidacyState) -> str:
    """The acknowledgement's id: every later message to the candidate replies under it."""
    return _message_id(s.workflow_id, 0, "acknowledgement")


def _message_id(workflow_id: str, seq: int, kind: str) -> str:
    return f"{workflow_id}.{seq:03d}.{kind}"


def _missing_feedback(s: CandidacyState) -> list[InterviewState]:
    return [iv for iv in _interviews(s) if not iv.feedback and not iv.abandoned]


def _interviews(s: CandidacyState) -> list[InterviewState]:
    return sorted(s.interviews.values(), key=lambda iv: (iv.completed_at, iv.interview_id))


def _candidate_message_pending(s: CandidacyState) -> bool:
    return any(m.recipient == "candidate" for m in s.outbox)


def _final_pending(s: CandidacyState) -> bool:
    return any(m.kind in FINAL_KINDS for m in s.outbox)


def _owes_feedback(s: CandidacyState) -> bool:
    """True while some round still lacks delivered candidate-facing feedback."""
    for iv in s.interviews.values():
        if iv.abandoned:
            continue
        if not iv.feedback or iv.delivered_lines < len(iv.feedback):
            return True
    return False


# --- deadlines ---------------------------------------------------------------------------------
# Each kind of deadline is defined once, as a rule: when it is due (`due`: the times, each with
# the interview it concerns, if any) and what happens when it comes (`act`). `deadlines()` lists
# what the rules say is due; `tick()` acts on every rule whose time has come, in the order below
# (an earlier rule's message can make a later one unnecessary: a delay explanation breaks the
# silence too).


@dataclass(frozen=True)
class DeadlineRule:
    kind: DeadlineKind
    due: Callable[[CandidacyState], list[tuple[datetime, InterviewState | None]]]
    act: Callable[[CandidacyState, InterviewState | None, datetime], list[str]]


def _decision_due_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    if s.state != "active":
        return []
    return [(s.decision_anchor + s.policy.decision_due, None)]


def _decision_overdue(s: CandidacyState, _: InterviewState | None, now: datetime) -> list[str]:
    """Nobody decided in time: explain the delay to the candidate, escalate to the contact."""
    overdue_since = s.decision_anchor + s.policy.decision_due
    s.decision_anchor = now
    queued: list[str] = []
    if not s.candidate_unreachable:
        content = _content(s, now)
        content.next_contact_by = _next_contact_by(s, now)
        queued.append(_enqueue(s, "delay_explanation", "candidate", content, now))
    staff = _content(s, now)
    staff.reason = "decision_overdue"
    staff.overdue_since = overdue_since
    queued.append(_enqueue(s, "escalation", "contact", staff, now))
    return queued


def _hold_expiry_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    if s.state != "on_hold" or s.hold_until is None:
        return []
    return [(s.hold_until, None)]


def _feedback_due_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    """Each missing feedback falls due `feedback_due` after its interview, and again every
    period after each escalation."""
    return [
        (iv.completed_at + s.policy.feedback_due * (iv.escalations + 1), iv)
        for iv in _missing_feedback(s)
    ]


def _feedback_overdue(s: CandidacyState, iv: InterviewState | None, now: datetime) -> list[str]:
    assert iv is not None
    iv.escalations += 1
    staff = _content(s, now)
    staff.reason = "feedback_overdue"
    staff.interview_id = iv.interview_id
    staff.stage = iv.stage
    staff.overdue_since = iv.completed_at + s.policy.feedback_due
    return [_enqueue(s, "escalation", "contact", staff, now)]


def _feedback_wait_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    if s.state != "finishing" or s.outcome_at is None or not _missing_feedback(s):
        return []
    return [(s.outcome_at + s.policy.feedback_wait_max, None)]


def _feedback_given_up(s: CandidacyState, _: InterviewState | None, now: datetime) -> list[str]:
    """After the outcome, missing feedback was chased long enough: say so plainly, and end."""
    missing = _missing_feedback(s)
    for iv in missing:
        iv.abandoned = True
    if not missing or s.candidate_unreachable:
        return []
    content = _content(s, now)
    content.unavailable_feedback_stages = [iv.stage for iv in missing]
    return [_enqueue(s, "feedback_update", "candidate", content, now)]


def _silence_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    """The candidate's clock runs from the last *delivered* message; none while one is on its
    way to them (its delivery resets the clock)."""
    if s.candidate_unreachable or _candidate_message_pending(s):
        return []
    return [((s.last_delivered_at or s.started_at) + s.policy.max_silence, None)]


def _silence_broken(s: CandidacyState, _: InterviewState | None, now: datetime) -> list[str]:
    content = _content(s, now)
    content.next_contact_by = _next_contact_by(s, now)
    content.waiting_on = _waiting_on(s)
    content.hold_until = s.hold_until if s.state == "on_hold" else None
    return [_enqueue(s, "status_update", "candidate", content, now)]


RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule("decision_due", _decision_due_at, _decision_overdue),
    DeadlineRule("hold_expiry", _hold_expiry_at, lambda s, _, now: _hold_expired(s, now)),
    DeadlineRule("feedback_due", _feedback_due_at, _feedback_overdue),
    DeadlineRule("feedback_wait", _feedback_wait_at, _feedback_given_up),
    DeadlineRule("silence", _silence_at, _silence_broken),
)


def deadlines(s: CandidacyState) -> list[Deadline]:
    """Every timer the candidacy is waiting on, earliest first."""
    if s.state in DONE_STATES:
        return []
    found = [Deadline(kind=r.kind, due_at=at) for r in RULES for at, _ in r.due(s)]
    return sorted(found, key=lambda d: d.due_at)


def next_deadline(s: CandidacyState) -> Deadline | None:
    found = deadlines(s)
    return found[0] if found else None


def tick(s: CandidacyState, now: datetime) -> list[str]:
    """Act on every deadline that has come. Safe to call at any time, as often as wanted."""
    if s.state in DONE_STATES:
        return []
    if s.paused_until is not None and now >= s.paused_until:
        s.paused_until = None  # the pause has run out; the decision clock restarted at `until`
    queued: list[str] = []
    for rule in RULES:
        for due_at, subject in rule.due(s):
            if now >= due_at:
                queued += rule.act(s, subject, now)
    return queued + _maybe_finish(s, now)


def _hold_expired(s: CandidacyState, now: datetime) -> list[str]:
    assert s.hold_started_at is not None
    limit = s.hold_started_at + s.policy.hold_max
    if not s.hold_extended and now < limit:
        s.hold_extended = True
        s.hold_until = limit
        queued: list[str] = []
        if not s.candidate_unreachable:
            content = _content(s, now)
            content.hold_until = limit
            content.final_extension = True
            content.next_contact_by = limit
            queued.append(_enqueue(s, "delay_explanation", "candidate", content, now))
        staff = _content(s, now)
        staff.reason = "hold_expiring"
        staff.hold_until = limit
        queued.append(_enqueue(s, "escalation", "contact", staff, now))
        return queued
    return _finalize(
        s,
        "rejected",
        "rejection",
        now,
        decision_lines=list(s.hold_lines),
        automatic=True,
    )


# --- events ------------------------------------------------------------------------------------


def reject_input(s: CandidacyState, source: str, reason: str, now: datetime) -> None:
    """Keep a refused inbound payload visible in `status` (bounded, newest kept)."""
    s.rejected_inputs.append(RejectedInput(source=source, received_at=now, reason=reason))
    if len(s.rejected_inputs) > MAX_REJECTED_INPUTS:
        del s.rejected_inputs[: len(s.rejected_inputs) - MAX_REJECTED_INPUTS]


def validate_interview(s: CandidacyState, ev: InterviewCompleted) -> str | None:
    if s.state not in OPEN_STATES:
        return f"the candidacy is {s.state}; no further interviews can be recorded"
    known = s.interviews.get(ev.interview_id)
    if known is not None and not _same_interview(known, ev):
        return f"interview {ev.interview_id} was already recorded with different details"
    return None


def _same_interview(known: InterviewState, ev: InterviewCompleted) -> bool:
    return (
        known.stage == ev.stage
        and known.interviewer_email == ev.interviewer_email
        and known.duration == ev.duration
    )


def record_interview(s: CandidacyState, ev: InterviewCompleted, now: datetime) -> list[str]:
    """An interview or assignment is done. Without feedback, the chase starts at once."""
    if ev.interview_id in s.interviews:
        return []  # a resent signal: the first one counts
    iv = InterviewState(
        interview_id=ev.interview_id,
        stage=ev.stage,
        interviewer_email=ev.interviewer_email,
        duration=ev.duration,
        completed_at=now,
        round=s.round,
        feedback=_dedupe([], ev.feedback),
    )
    s.interviews[iv.interview_id] = iv
    if s.state == "active":
        s.decision_anchor = max(s.decision_anchor, now)
    if iv.feedback:
        return []
    reminder = _content(s, now)
    reminder.reason = "feedback_missing"
    reminder.interview_id = iv.interview_id
    reminder.stage = iv.stage
    reminder.overdue_since = now + s.policy.feedback_due
    return [_enqueue(s, "feedback_reminder", "interviewer", reminder, now, to=iv.interviewer_email)]


def validate_feedback(s: CandidacyState, cmd: SubmitFeedback) -> str | None:
    if s.state in DONE_STATES:
        return f"the candidacy is {s.state}"
    if cmd.interview_id not in s.interviews:
        known = ", ".join(sorted(s.interviews)) or "none yet"
        return (
            f"unknown interview id {cmd.interview_id!r} (known: {known}); "
            "send interview_completed first"
        )
    return None


def submit_feedback(s: CandidacyState, cmd: SubmitFeedback, now: datetime) -> list[str]:
    """Store candidate-facing lines; if that round's outcome already went out, send them now."""
    iv = s.interviews[cmd.interview_id]
    before = len(iv.feedback)
    iv.feedback = _dedupe(iv.feedback, cmd.feedback)
    new_lines = iv.feedback[before:]
    if not new_lines or not iv.round_closed:
        return []
    iv.abandoned = False
    content = _content(s, now)
    content.feedback = [FeedbackSection(stage=iv.stage, lines=new_lines)]
    queued = [
        _enqueue(
            s,
            "feedback_update",
            "candidate",
            content,
            now,
            carries={iv.interview_id: len(iv.feedback)},
        )
    ]
    return queued + _maybe_finish(s, now)


def validate_decision(s: CandidacyState, cmd: Decide, now: datetime) -> str | None:
    if s.state not in OPEN_STATES:
        already = f" ({s.outcome})" if s.outcome else ""
        return f"the candidacy is already decided{already}; no further decisions are accepted"
    if cmd.outcome == "reject" and not cmd.feedback and effort_requires_reasons(s):
        return (
            f"the candidate has invested {hours_invested(s):g} h, at or above the effort threshold "
            f"of {s.policy.effort_threshold.total_seconds() / 3600:g} h: a rejection must carry "
            "written reasons in 'feedback'"
        )
    if cmd.outcome == "advance" and cmd.next_stage == s.stage:
        return f"the candidate is already at stage {s.stage!r}; next_stage must differ"
    if cmd.outcome == "hold" and cmd.hold_until is not None:
        hold_start = s.hold_started_at if s.state == "on_hold" and s.hold_started_at else now
        latest = hold_start + s.policy.hold_max
        if cmd.hold_until <= now:
            return "hold_until must be in the future"
        if cmd.hold_until > latest:
            return (
                f"hold_until {cmd.hold_until.isoformat()} is past hold_max: the latest allowed "
                f"is {latest.isoformat()}"
            )
    return None


def decide(s: CandidacyState, cmd: Decide, now: datetime) -> list[str]:
    if cmd.outcome == "advance":
        assert cmd.next_stage is not None
        return _advance(s, cmd.next_stage, cmd.feedback, now)
    if cmd.outcome == "reject":
        return _finalize(s, "rejected", "rejection", now, decision_lines=list(cmd.feedback))
    if cmd.outcome == "offer":
        return _finalize(s, "offer", "offer", now, decision_lines=list(cmd.feedback))
    return _hold(s, cmd, now)


def _advance(s: CandidacyState, next_stage: str, lines: list[str], now: datetime) -> list[str]:
    content = _content(s, now)
    content.next_stage = next_stage
    content.decision_lines = list(lines)
    content.resumed_from_hold = s.state == "on_hold"
    this_round = [iv for iv in _interviews(s) if iv.round == s.round]
    content.feedback, carries = _undelivered_sections(this_round)
    for iv in this_round:
        iv.round_closed = True
    _close_stage(s, "advance", now)
    s.stage = next_stage
    s.round += 1
    s.stage_started_at = now
    s.decision_anchor = now
    s.state = "active"
    s.hold_started_at = None
    s.hold_until = None
    s.hold_extended = False
    s.hold_lines = []
    content.next_contact_by = _next_contact_by(s, now)
    return [_enqueue(s, "stage_result", "candidate", content, now, carries=carries)]


def _hold(s: CandidacyState, cmd: Decide, now: datetime) -> list[str]:
    p = s.policy
    if s.state != "on_hold" or s.hold_started_at is None:
        s.hold_started_at = now
        s.hold_extended = False
    limit = s.hold_started_at + p.hold_max
    s.hold_until = cmd.hold_until or min(now + p.decision_due, limit)
    s.hold_lines = list(cmd.feedback)
    s.state = "on_hold"
    content = _content(s, now)
    content.hold_until = s.hold_until
    content.next_contact_by = _next_contact_by(s, now)
    return [_enqueue(s, "delay_explanation", "candidate", content, now)]


def validate_withdraw(s: CandidacyState, cmd: Withdraw) -> str | None:
    if s.state not in OPEN_STATES:
        already = f" ({s.outcome})" if s.outcome else ""
        return f"the candidacy is already decided{already}; there is nothing to withdraw from"
    return None


def withdraw(s: CandidacyState, cmd: Withdraw, now: datetime) -> list[str]:
    return _finalize(s, "withdrawn", "withdrawal_confirmation", now, withdrawal_reason=cmd.reason)


def role_closed(s: CandidacyState, cmd: CloseRole, now: datetime) -> list[str] | None:
    """The role was filled or cancelled. None when there is nothing to do here: the candidacy
    already has its outcome (an offer, a rejection, a withdrawal), which stays the only one."""
    if s.state not in OPEN_STATES:
        return None
    return _finalize(
        s,
        "role_closed",
        "role_closed",
        now,
        decision_lines=[cmd.note] if cmd.note else [],
        reason=cmd.reason,
    )


def role_paused(s: CandidacyState, cmd: PauseRole, now: datetime) -> list[str] | None:
    """Hiring is paused: explain, give the date, and stop the decision clock until then."""
    if s.state not in OPEN_STATES:
        return None
    s.paused_until = cmd.until
    if s.state == "active":
        s.decision_anchor = max(s.decision_anchor, cmd.until)
    content = _content(s, now)
    content.reason = "role_paused"
    content.hold_until = cmd.until
    content.next_contact_by = min(cmd.until, now + s.policy.max_silence)
    return [_enqueue(s, "delay_explanation", "candidate", content, now)]


def role_resumed(s: CandidacyState, now: datetime) -> list[str] | None:
    if s.state not in OPEN_STATES or s.paused_until is None:
        return None
    s.paused_until = None
    if s.state == "active":
        s.decision_anchor = now
    return []


def _finalize(
    s: CandidacyState,
    outcome: FinalOutcome,
    kind: MessageKind,
    now: datetime,
    *,
    decision_lines: list[str] | None = None,
    automatic: bool = False,
    withdrawal_reason: str | None = None,
    reason: str | None = None,
) -> list[str]:
    """Queue the one final message. Callers guarantee the candidacy is still open."""
    content = _content(s, now)
    content.reason = reason
    content.decision_lines = decision_lines or []
    content.automatic = automatic
    content.withdrawal_reason = withdrawal_reason
    content.resumed_from_hold = s.state == "on_hold"
    interviews = _interviews(s)
    if kind == "rejection":
        # A rejection is the full record: every round's lines, even those sent before.
        content.feedback, carries = _all_sections(interviews)
    else:
        content.feedback, carries = _undelivered_sections(interviews)
    for iv in interviews:
        iv.round_closed = True
    _close_stage(s, outcome, now)
    s.outcome = outcome
    s.outcome_at = now
    s.state = "finishing"
    s.hold_until = None
    queued = [_enqueue(s, kind, "candidate", content, now, carries=carries)]
    return queued + _maybe_finish(s, now)


# --- delivery outcomes -------------------------------------------------------------------------


def on_delivered(s: CandidacyState, message_id: str, now: datetime) -> list[str]:
    msg = _pop(s, message_id)
    if msg is None:
        return []
    _record(s, message_id, status="delivered", at=now)
    if msg.recipient == "candidate":
        s.last_delivered_at = now
        for interview_id, count in msg.carries_feedback.items():
            iv = s.interviews.get(interview_id)
            if iv is not None:
                iv.delivered_lines = max(iv.delivered_lines, count)
                if iv.feedback_delivered_at is None and _feedback_complete(iv):
                    iv.feedback_delivered_at = now
    return _maybe_finish(s, now)


def on_failed(s: CandidacyState, message_id: str, now: datetime, error: str) -> list[str]:
    """A message that can never be delivered (bad address). Tell a person; never loop."""
    msg = _pop(s, message_id)
    if msg is None:
        return []
    _record(s, message_id, status="failed", at=None, error=error)
    queued: list[str] = []
    if msg.recipient == "candidate" and not s.candidate_unreachable:
        s.candidate_unreachable = True
        # Nothing more can reach them: drop what is queued for them, and tell the hiring team.
        s.outbox = [m for m in s.outbox if m.recipient != "candidate"]
        for rec in s.messages:
            if rec.recipient == "candidate" and rec.status == "pending":
                rec.status = "failed"
                rec.error = "candidate unreachable"
        staff = _content(s, now)
        staff.reason = "candidate_unreachable"
        queued.append(_enqueue(s, "escalation", "contact", staff, now))
    elif msg.recipient == "interviewer":
        staff = _content(s, now)
        staff.reason = "interviewer_unreachable"
        staff.interview_id = msg.content.interview_id
        staff.stage = msg.content.stage
        queued.append(_enqueue(s, "escalation", "contact", staff, now))
    return queued + _maybe_finish(s, now)


def _maybe_finish(s: CandidacyState, now: datetime) -> list[str]:
    """Survey last, then done: only once the outcome and all feedback were delivered."""
    if s.state != "finishing" or _final_pending(s):
        return []
    if s.candidate_unreachable:
        if not s.outbox:
            s.state = "completed"
        return []
    if _owes_feedback(s) or _candidate_message_pending(s):
        return []
    if s.role.survey_url and not s.survey_queued:
        s.survey_queued = True
        content = _content(s, now)
        content.survey_url = s.role.survey_url
        return [_enqueue(s, "survey", "candidate", content, now)]
    if not s.outbox:
        s.state = "completed"
    return []


def is_complete(s: CandidacyState) -> bool:
    return s.state in DONE_STATES and not s.outbox


# --- status ------------------------------------------------------------------------------------


def status(s: CandidacyState) -> Status:
    return Status(
        workflow_id=s.workflow_id,
        role_id=s.role.id,
        candidate_id=s.candidate.id,
        state=s.state,
        stage=s.stage,
        outcome=s.outcome,
        hours_invested=hours_invested(s),
        next_deadline=next_deadline(s),
        last_delivered_at=s.last_delivered_at,
        hold_until=s.hold_until,
        interviews=[
            InterviewSummary(
                interview_id=iv.interview_id,
                stage=iv.stage,
                duration=iv.duration,
                feedback_lines=len(iv.feedback),
                feedback_delivered=_feedback_complete(iv),
                completed_at=iv.completed_at,
                feedback_delivered_at=iv.feedback_delivered_at,
            )
            for iv in _interviews(s)
        ],
        messages=list(s.messages),
        rejected_inputs=list(s.rejected_inputs),
        started_at=s.started_at,
        stages=stage_history(s),
    )


def stage_history(s: CandidacyState) -> list[StageRecord]:
    """Every stage so far, the current one last (open unless the candidacy is decided)."""
    history = list(s.stages)
    if s.outcome is None:
        history.append(StageRecord(stage=s.stage, entered_at=s.stage_started_at))
    return history


def _close_stage(s: CandidacyState, decision: StageDecision, now: datetime) -> None:
    s.stages.append(
        StageRecord(stage=s.stage, entered_at=s.stage_started_at, decided_at=now, decision=decision)
    )


def _feedback_complete(iv: InterviewState) -> bool:
    return bool(iv.feedback) and iv.delivered_lines >= len(iv.feedback)


# --- helpers -----------------------------------------------------------------------------------


def _enqueue(
    s: CandidacyState,
    kind: MessageKind,
    recipient: Recipient,
    content: MessageContent,
    now: datetime,
    *,
    to: str | None = None,
    carries: dict[str, int] | None = None,
) -> str:
    if to is None:
        to = s.candidate.email if recipient == "candidate" else s.role.contact_email
    message_id = _message_id(s.workflow_id, s.seq, kind)
    s.seq += 1
    s.outbox.append(
        OutgoingMessage(
            message_id=message_id,
            kind=kind,
            recipient=recipient,
            to_email=to,
            content=content,
            queued_at=now,
            carries_feedback=carries or {},
        )
    )
    s.messages.append(
        MessageRecord(message_id=message_id, kind=kind, recipient=recipient, queued_at=now)
    )
    return message_id


def _pop(s: CandidacyState, message_id: str) -> OutgoingMessage | None:
    for i, msg in enumerate(s.outbox):
        if msg.message_id == message_id:
            return s.outbox.pop(i)
    return None


def _record(
    s: CandidacyState,
    message_id: str,
    *,
    status: str,
    at: datetime | None,
    error: str | None = None,
) -> None:
    for rec in s.messages:
        if rec.message_id == message_id:
            rec.status = "delivered" if status == "delivered" else "failed"
            rec.delivered_at = at
            rec.error = error
            return


def _content(s: CandidacyState, now: datetime) -> MessageContent:
    return MessageContent(
        candidate_name=s.candidate.name,
        role_title=s.role.title,
        company=s.role.company,
        stage=s.stage,
        hours_invested=hours_invested(s),
        pending_feedback_stages=[iv.stage for iv in _missing_feedback(s)],
        candidacy_id=s.workflow_id,
        hold_until=s.hold_until,
    )


def _next_contact_by(s: CandidacyState, now: datetime) -> datetime:
    """The date the candidate will hear from us next, at the latest."""
    latest = now + s.policy.max_silence
    if s.state == "active":
        latest = min(latest, max(now, s.decision_anchor) + s.policy.decision_due)
    if s.state == "on_hold" and s.hold_until is not None:
        latest = min(latest, s.hold_until)
    return latest


def _waiting_on(s: CandidacyState) -> str:
    if s.state == "on_hold":
        return "hold"
    if s.state == "finishing":
        return "feedback"
    return "decision"


def _dedupe(existing: list[str], new: list[str]) -> list[str]:
    out = list(existing)
    for line in new:
        if line not in out:
            out.append(line)
    return out


def _undelivered_sections(
    interviews: list[InterviewState],
) -> tuple[list[FeedbackSection], dict[str, int]]:
    sections: list[FeedbackSection] = []
    carries: dict[str, int] = {}
    for iv in interviews:
        fresh = iv.feedback[iv.delivered_lines :]
        if fresh:
            sections.append(FeedbackSection(stage=iv.stage, lines=fresh))
            carries[iv.interview_id] = len(iv.feedback)
    return sections, carries


def _all_sections(
    interviews: list[InterviewState],
) -> tuple[list[FeedbackSection], dict[str, int]]:
    sections: list[FeedbackSection] = []
    carries: dict[str, int] = {}
    for iv in interviews:
        if iv.feedback:
            sections.append(FeedbackSection(stage=iv.stage, lines=list(iv.feedback)))
            carries[iv.interview_id] = len(iv.feedback)
    return sections, carries


def feedback_overdue_since(s: CandidacyState) -> datetime | None:
    """When the oldest still-missing feedback fell due (None if none is late yet)."""
    if s.state in DONE_STATES:
        return None
    late = [
        iv.completed_at + s.policy.feedback_due for iv in _missing_feedback(s) if iv.escalations
    ]
    return min(late, default=None)


def describe(s: CandidacyState, deadline: Deadline | None) -> str:
    """One line for the Temporal UI's "current details": ids, states and times only."""
    delivered = sum(1 for m in s.messages if m.status == "delivered")
    parts = [f"{s.state} at stage {s.stage!r}", f"{delivered} messages delivered"]
    if s.outbox:
        parts.append(f"{len(s.outbox)} waiting to be sent")
    if deadline is not None:
        parts.append(f"next: {deadline.kind} by {deadline.due_at.isoformat(timespec='seconds')}")
    return "; ".join(parts)
