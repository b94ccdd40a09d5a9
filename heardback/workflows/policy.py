"""The rules: what is owed to a candidate, to whom, and by when.

Pure and deterministic: every function takes the candidacy's state and the current time and
mutates the state, queueing messages in ``state.outbox``. Nothing here does I/O or reads a clock,
so the workflow can call it and tests (including property tests) can run it without Temporal.

The workflow around it is a thin loop: apply an event or a deadline, deliver what was queued,
report deliveries back with :func:`on_delivered`, and sleep until :func:`next_deadline`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from temporalio import workflow

from heardback.workflows import screening
from heardback.workflows.models import (
    FINAL_KINDS,
    CandidacyInput,
    CandidacyState,
    CloseRole,
    Deadline,
    DeadlineKind,
    Decide,
    DecisionRecord,
    FeedbackSection,
    FinalOutcome,
    InterviewCompleted,
    InterviewState,
    InterviewSummary,
    MessageContent,
    MessageKind,
    MessageRecord,
    OfferUpdate,
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
MAX_DECISIONS_KEPT = 50
OPEN_STATES = ("active", "on_hold")
DONE_STATES = ("completed", "refused")

# Changes to what a candidacy does after 1.0 go through Temporal's versioning: the workflow asks
# `workflow.patched(id)` once per run and stores the answer in `state.patched`, and the rules
# below follow it. A run that started on 1.0 keeps the 1.0 behaviour until it continues as new.
#
# PATCH_MAIL (1.1): the survey waits `survey_delay` (once per address per `survey_cooldown`,
# never after a withdrawal, never before an offer is settled); an offer owes its written details
# by `offer_details_due`; staff deadlines count working days; candidate mail respects quiet
# hours.
PATCH_MAIL = "candidate-mail-1.1"
# PATCH_SCREENING (1.2): candidate-facing lines that arrive with `interview_completed` (a signal,
# so nobody can be answered) are screened like every other entry: a line screening refuses is
# not sent to the candidate; it is kept for the hiring contact as an internal note, the refusal
# is recorded as a rejected input, and the interviewer is asked for lines as if none had come.
PATCH_SCREENING = "feedback-screening-1.2"
# PATCH_SILENCE (1.4): the silence limit is kept with SILENCE_MARGIN to spare: the status update
# is queued that long before `max_silence` runs out, so it is *delivered* within the limit, not
# a few seconds after it (the simulated month measured every such update 1-10 s late).
PATCH_SILENCE = "silence-margin-1.4"
SILENCE_MARGIN = timedelta(hours=1)
# PATCH_EVENTS (1.5): a candidacy that finishes tells the tenant's own system
# (`candidacy.finished`, through a local activity that starts its event workflow; nothing when no
# events URL is configured).
PATCH_EVENTS = "events-out-1.5"
CURRENT_PATCHES = (PATCH_MAIL, PATCH_SCREENING, PATCH_SILENCE, PATCH_EVENTS)
# PATCH_BUNDLES (1.6), newest first: a run that began on a build with a bundle asks only the
# bundle (one marker) and follows every patch it covers. A later patch P is added to
# CURRENT_PATCHES and gets a new bundle in front, ("patches-1.7", (*CURRENT_PATCHES,)); the older
# bundles stay, for the runs that began under them.
PATCH_BUNDLES: tuple[tuple[str, tuple[str, ...]], ...] = (("patches-1.6", CURRENT_PATCHES),)
DAY = timedelta(days=1)
REFERENCES_KEPT = 20

# "Written reasons": what a rejection (or a hold that may expire into one) must carry once the
# candidate's effort reached the threshold. At least this many words in all, in at least one
# line that is not a stock phrase: enough to say what the decision rested on.
REASON_MIN_WORDS = 12
STOCK_PHRASES = frozenset(
    {
        "not this time",
        "not a fit",
        "not the right fit",
        "no fit",
        "not a match",
        "we went with another candidate",
        "we have decided to move forward with other candidates",
        "we decided to move forward with other candidates",
        "other candidates were a better fit",
        "position filled",
        "role filled",
        "no",
        "n/a",
        "na",
        "none",
        "tbd",
        "-",
    }
)


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
        patched=list(CURRENT_PATCHES),
    )


def start(s: CandidacyState, now: datetime) -> list[str]:
    """Acknowledge the application: the first promise kept."""
    content = _content(s, now)
    content.next_contact_by = _next_contact_by(s, now)
    content.retention = s.policy.retention
    return [_enqueue(s, "acknowledgement", "candidate", content, now)]


# --- derived facts -----------------------------------------------------------------------------


def hours_invested(s: CandidacyState) -> float:
    total = sum((iv.duration for iv in s.interviews.values()), timedelta(0))
    return round(total.total_seconds() / 3600, 2)


def effort_requires_reasons(s: CandidacyState) -> bool:
    total = sum((iv.duration for iv in s.interviews.values()), timedelta(0))
    return total >= s.policy.effort_threshold


def _v11(s: CandidacyState) -> bool:
    return PATCH_MAIL in s.patched


def written_reasons_problem(lines: list[str]) -> str | None:
    """None when `lines` are written reasons (see REASON_MIN_WORDS), else what is missing."""
    words = sum(len(re.findall(r"\w+", line)) for line in lines)
    own = [ln for ln in lines if _normal(ln) not in STOCK_PHRASES]
    if not own:
        return "written reasons are sentences saying what the decision rested on; " + (
            "none were given" if not lines else "a stock phrase is not a reason"
        )
    if words < REASON_MIN_WORDS:
        return (
            f"written reasons need at least {REASON_MIN_WORDS} words saying what the decision "
            f"rested on (these have {words})"
        )
    return None


def _normal(line: str) -> str:
    return " ".join(re.findall(r"[\w/-]+", line.lower()))


def stage_name(s: CandidacyState, stage: str) -> str:
    """What a candidate reads for a stage id: the role's name for it, or the id humanised."""
    named = s.role.stage_names.get(stage)
    if named:
        return named
    return " ".join(stage.replace("_", " ").replace("-", " ").split())


def staff_due(s: CandidacyState, start: datetime, duration: timedelta) -> datetime:
    """When a staff deadline of `duration` from `start` falls: whole days count working days of
    the role's calendar (policy.staff_days = "working", from 1.1); anything else clock time."""
    if not _v11(s) or s.policy.staff_days != "working" or duration < DAY or duration % DAY:
        return start + duration
    tz = ZoneInfo(s.role.time_zone)
    local = start.astimezone(tz)
    day = local.date()
    left = duration // DAY
    while left:
        day += DAY
        if _working_day(s.role.holiday_calendar, day):
            left -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tz).astimezone(start.tzinfo)


def _working_day(country: str | None, day: date) -> bool:
    weekend, days_off = _calendar(country, day.year)
    return day.weekday() not in weekend and day not in days_off


@functools.lru_cache(maxsize=256)
def _calendar(country: str | None, year: int) -> tuple[frozenset[int], frozenset[date]]:
    """(weekend weekdays, public holidays) for a country and year; Saturday and Sunday and no
    holidays without a calendar. Deterministic for a pinned `holidays` release."""
    if country is None:
        return frozenset({5, 6}), frozenset()
    if workflow.unsafe.in_sandbox():
        # The library names holidays through gettext and the locale module, which the sandbox
        # forbids; the dates it returns do not depend on them (pinned release, passed through).
        with workflow.unsafe.sandbox_unrestricted():
            cal = holidays.country_holidays(country, years=year)
    else:
        cal = holidays.country_holidays(country, years=year)
    return frozenset(cal.weekend), frozenset(cal.keys())


def references(s: CandidacyState, msg: OutgoingMessage) -> list[str]:
    """Earlier messages of this message's conversation, oldest first (the thread root and the
    latest ones, at most REFERENCES_KEPT), for References and In-Reply-To."""
    if msg.recipient != "candidate":
        return [f"{s.workflow_id}.staff"]
    if msg.kind == "acknowledgement":
        return []
    sent = [
        m.message_id
        for m in s.messages
        if m.recipient == "candidate" and m.status == "delivered" and m.message_id != msg.message_id
    ]
    root = thread_root_id(s)
    chain = [root] + [m for m in sent if m != root]
    if len(chain) > REFERENCES_KEPT:
        chain = [root, *chain[-(REFERENCES_KEPT - 1) :]]
    return chain


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
    return [(staff_due(s, s.decision_anchor, s.policy.decision_due), None)]


def _decision_overdue(s: CandidacyState, _: InterviewState | None, now: datetime) -> list[str]:
    """Nobody decided in time: explain the delay to the candidate, escalate to the contact."""
    overdue_since = staff_due(s, s.decision_anchor, s.policy.decision_due)
    s.decision_anchor = now
    return _explain_delay_and_escalate(s, now, "decision_overdue", overdue_since)


def _explain_delay_and_escalate(
    s: CandidacyState, now: datetime, reason: str, overdue_since: datetime | None = None
) -> list[str]:
    """The candidate hears that it is taking longer (and when they will hear next); the contact
    hears why."""
    queued: list[str] = []
    if not s.candidate_unreachable:
        content = _content(s, now)
        content.next_contact_by = _next_contact_by(s, now)
        queued.append(_enqueue(s, "delay_explanation", "candidate", content, now))
    staff = _content(s, now)
    staff.reason = reason
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
        (staff_due(s, iv.completed_at, s.policy.feedback_due * (iv.escalations + 1)), iv)
        for iv in _missing_feedback(s)
    ]


def _feedback_overdue(s: CandidacyState, iv: InterviewState | None, now: datetime) -> list[str]:
    assert iv is not None
    iv.escalations += 1
    staff = _content(s, now)
    staff.reason = "feedback_overdue"
    staff.interview_id = iv.interview_id
    staff.stage = stage_name(s, iv.stage)
    staff.overdue_since = staff_due(s, iv.completed_at, s.policy.feedback_due)
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
    content.unavailable_feedback_stages = _names(s, [iv.stage for iv in missing])
    content.pending_feedback_stages = []
    return [_enqueue(s, "feedback_update", "candidate", content, now)]


def silence_limit(s: CandidacyState) -> datetime:
    """When the next message must be queued so the candidate is not left past `max_silence`:
    from 1.4 with SILENCE_MARGIN to spare for its delivery (never less than half the limit)."""
    limit = (s.last_delivered_at or s.started_at) + s.policy.max_silence
    if PATCH_SILENCE in s.patched:
        limit -= min(SILENCE_MARGIN, s.policy.max_silence / 2)
    return limit


def _silence_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    """The candidate's clock runs from the last *delivered* message; none while one is on its
    way to them (its delivery resets the clock)."""
    if s.candidate_unreachable or _candidate_message_pending(s):
        return []
    # From 1.1: once the outcome and every line are delivered (and an offer's details are with
    # the company), nothing is left in suspense; only the survey or a settlement may follow.
    settled = not (s.outcome == "offer" and s.offer_details_due_at is not None)
    if _v11(s) and s.state == "finishing" and not _owes_feedback(s) and settled:
        return []
    limit = silence_limit(s)
    if _v11(s):
        # Early rather than late: a limit inside the candidate's quiet hours is kept before they
        # begin (when that is still after the last delivery).
        start, _ = _quiet_window(s, limit)
        if start is not None and start > (s.last_delivered_at or s.started_at):
            limit = min(limit, start)
    return [(limit, None)]


def _silence_broken(s: CandidacyState, _: InterviewState | None, now: datetime) -> list[str]:
    content = _content(s, now)
    content.next_contact_by = _next_contact_by(s, now)
    content.waiting_on = _waiting_on(s)
    content.hold_until = s.hold_until if s.state == "on_hold" else None
    if _v11(s) and s.state == "finishing" and s.outcome_at is not None:
        if content.pending_feedback_stages:
            content.feedback_expected_by = s.outcome_at + s.policy.feedback_wait_max
        if s.outcome == "withdrawn":
            content.waiting_on = "feedback_after_withdrawal"
    return [_enqueue(s, "status_update", "candidate", content, now)]


def _offer_details_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    if s.outcome != "offer" or s.state != "finishing" or s.outcome_at is None:
        return []
    if s.offer_details_due_at is not None:
        return [(s.offer_details_due_at, None)]
    if _v11(s) and not s.offer_settled:
        return [(s.outcome_at + s.policy.feedback_wait_max, None)]  # waiting for a settlement
    return []


def _offer_details_late(s: CandidacyState, _: InterviewState | None, now: datetime) -> list[str]:
    """The written offer was promised by a date that has come: tell the candidate by when now,
    and ask the contact. After feedback_wait_max the promise is closed with a plain word. An
    offer whose details went out but that was never settled stops waiting then too."""
    assert s.outcome_at is not None
    if s.offer_details_due_at is None:
        s.offer_settled = True
        return _maybe_finish(s, now)
    queued: list[str] = []
    give_up = now >= s.outcome_at + s.policy.feedback_wait_max
    staff = _content(s, now)
    staff.reason = "offer_details_overdue"
    staff.overdue_since = s.offer_details_due_at
    queued.append(_enqueue(s, "escalation", "contact", staff, now))
    if give_up:
        s.offer_details_due_at = None
        s.offer_settled = True  # nothing more heardback can promise about this offer
    else:
        s.offer_details_due_at = staff_due(s, now, s.policy.offer_details_due)
    if not s.candidate_unreachable:
        content = _content(s, now)
        content.reason = "offer_details_late"
        content.offer_details_by = s.offer_details_due_at
        content.next_contact_by = s.offer_details_due_at
        queued.append(_enqueue(s, "delay_explanation", "candidate", content, now))
    return queued + _maybe_finish(s, now)


def _survey_at(s: CandidacyState) -> list[tuple[datetime, InterviewState | None]]:
    if s.survey_due_at is None or s.survey_queued or s.state != "finishing":
        return []
    return [(s.survey_due_at, None)]


def _survey_due(s: CandidacyState, _: InterviewState | None, now: datetime) -> list[str]:
    s.survey_due_at = None
    return _queue_survey(s, now)


RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule("decision_due", _decision_due_at, _decision_overdue),
    DeadlineRule("hold_expiry", _hold_expiry_at, lambda s, _, now: _hold_expired(s, now)),
    DeadlineRule("feedback_due", _feedback_due_at, _feedback_overdue),
    DeadlineRule("feedback_wait", _feedback_wait_at, _feedback_given_up),
    DeadlineRule("offer_details", _offer_details_at, _offer_details_late),
    DeadlineRule("silence", _silence_at, _silence_broken),
    DeadlineRule("survey", _survey_at, _survey_due),
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
        if s.state in DONE_STATES:
            break  # a rule ended the candidacy (e.g. an offer that was never settled)
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
    if _v11(s) and effort_requires_reasons(s) and written_reasons_problem(s.hold_lines) is not None:
        return _hold_without_reasons(s, now)
    return _finalize(
        s,
        "rejected",
        "rejection",
        now,
        decision_lines=list(s.hold_lines),
        automatic=True,
    )


def _hold_without_reasons(s: CandidacyState, now: datetime) -> list[str]:
    """From 1.1: a hold that ran out past the effort threshold with no written reasons does not
    end in a rejection without them. The decision is overdue instead: the candidate is told it is
    taking longer (and again every decision_due), and the contact is asked for the reasons."""
    s.state = "active"
    s.hold_started_at = None
    s.hold_until = None
    s.hold_extended = False
    s.decision_anchor = now
    return _explain_delay_and_escalate(s, now, "hold_needs_reasons")


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


def screening_problem(s: CandidacyState, lines: list[str]) -> str | None:
    """Why screening refuses some of these candidate-facing lines, or None: one English
    sentence, as every refusal (the pages show each finding in the reader's language). Applied
    to every entry: the update validators, and `interview_completed` from 1.2."""
    findings = screening.screen(lines, s.role.locale)
    return screening.describe(findings) if findings else None


def screen_interview(
    s: CandidacyState, ev: InterviewCompleted
) -> tuple[InterviewCompleted, str | None]:
    """From 1.2: the interview with the lines screening refuses held back (kept for the contact
    as internal notes, never sent), and the reason to record (None: nothing held back)."""
    if PATCH_SCREENING not in s.patched or ev.override is not None or not ev.feedback:
        return ev, None
    if ev.interview_id in s.interviews:
        return ev, None  # a resent signal: the first one counts
    findings = screening.screen(ev.feedback, s.role.locale)
    if not findings:
        return ev, None
    first = {f.line: f for f in reversed(findings)}  # the first finding of each line
    refused = set(first)
    held = [f"[{_held_note(first[i])}] {ev.feedback[i]}" for i in sorted(refused)]
    notes = "\n".join([*held, *([ev.internal_notes] if ev.internal_notes else [])])
    kept = [line for i, line in enumerate(ev.feedback) if i not in refused]
    reason = (
        f"interview {ev.interview_id}: {len(refused)} feedback line(s) held back, not sent: "
        + screening.describe(findings)
    )
    return ev.model_copy(update={"feedback": kept, "internal_notes": notes}), reason


def _held_note(f: screening.Finding) -> str:
    return f"not sent to the candidate: {f.problem.replace('_', ' ')}"


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
        internal_notes=[ev.internal_notes] if ev.internal_notes else [],
    )
    s.interviews[iv.interview_id] = iv
    if s.state == "active":
        s.decision_anchor = max(s.decision_anchor, now)
    queued = _ask_for_hold_reasons(s, now)
    if iv.feedback:
        return queued
    reminder = _content(s, now)
    reminder.reason = "feedback_missing"
    reminder.interview_id = iv.interview_id
    reminder.stage = stage_name(s, iv.stage)
    reminder.overdue_since = staff_due(s, now, s.policy.feedback_due)
    to = iv.interviewer_email
    return [*queued, _enqueue(s, "feedback_reminder", "interviewer", reminder, now, to=to)]


def _ask_for_hold_reasons(s: CandidacyState, now: datetime) -> list[str]:
    """A round sat during a hold can carry the candidate past the effort threshold: the hold
    then owes written reasons it was not asked for when it began. Ask the contact once (from
    1.1); a new hold decision with reasons replaces the old lines."""
    if (
        not _v11(s)
        or s.state != "on_hold"
        or s.hold_reasons_asked
        or not effort_requires_reasons(s)
        or written_reasons_problem(s.hold_lines) is None
    ):
        return []
    s.hold_reasons_asked = True
    staff = _content(s, now)
    staff.reason = "hold_needs_reasons"
    staff.hold_until = s.hold_until
    return [_enqueue(s, "escalation", "contact", staff, now)]


def validate_feedback(s: CandidacyState, cmd: SubmitFeedback) -> str | None:
    if s.state in DONE_STATES:
        return f"the candidacy is {s.state}"
    if cmd.interview_id not in s.interviews:
        known = ", ".join(sorted(s.interviews)) or "none yet"
        return (
            f"unknown interview id {cmd.interview_id!r} (known: {known}); "
            "send interview_completed first"
        )
    if cmd.override is None:
        return screening_problem(s, list(cmd.feedback))
    return None


def submit_feedback(s: CandidacyState, cmd: SubmitFeedback, now: datetime) -> list[str]:
    """Store candidate-facing lines; if that round's outcome already went out, send them now."""
    iv = s.interviews[cmd.interview_id]
    if cmd.internal_notes and cmd.internal_notes not in iv.internal_notes:
        iv.internal_notes.append(cmd.internal_notes)
    before = len(iv.feedback)
    iv.feedback = _dedupe(iv.feedback, cmd.feedback)
    new_lines = iv.feedback[before:]
    if not new_lines or not iv.round_closed:
        return []
    iv.abandoned = False
    content = _content(s, now)
    content.feedback = [FeedbackSection(stage=stage_name(s, iv.stage), lines=new_lines)]
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
    if cmd.outcome in ("reject", "hold") and effort_requires_reasons(s):
        problem = written_reasons_problem(list(cmd.feedback))
        if problem is not None:
            what = (
                "a rejection must carry written reasons in 'feedback'"
                if cmd.outcome == "reject"
                else "a hold must carry, in 'feedback', the written reasons the candidate will "
                "read if the hold expires into a rejection"
            )
            return (
                f"the candidate has invested {hours_invested(s):g} h, at or above the effort "
                f"threshold of {s.policy.effort_threshold.total_seconds() / 3600:g} h: {what}; "
                f"{problem}"
            )
    if cmd.outcome == "advance" and cmd.next_stage == s.stage:
        return f"the candidate is already at stage {s.stage!r}; next_stage must differ"
    if cmd.feedback and cmd.override is None:
        problem = screening_problem(s, list(cmd.feedback))
        if problem is not None:
            return problem
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
    s.decisions.append(
        DecisionRecord(
            at=now,
            stage=s.stage,
            outcome=cmd.outcome,
            next_stage=cmd.next_stage,
            hold_until=cmd.hold_until,
            lines=list(cmd.feedback),
            via=cmd.via,
            overridden=cmd.override is not None,
        )
    )
    del s.decisions[:-MAX_DECISIONS_KEPT]
    if cmd.outcome == "advance":
        assert cmd.next_stage is not None
        return _advance(s, cmd.next_stage, cmd.feedback, now)
    told = cmd.told_by is not None
    if cmd.outcome == "reject":
        return _finalize(
            s, "rejected", "rejection", now, decision_lines=list(cmd.feedback), told_elsewhere=told
        )
    if cmd.outcome == "offer":
        return _finalize(
            s, "offer", "offer", now, decision_lines=list(cmd.feedback), told_elsewhere=told
        )
    return _hold(s, cmd, now)


def _advance(s: CandidacyState, next_stage: str, lines: list[str], now: datetime) -> list[str]:
    content = _content(s, now)
    content.next_stage = stage_name(s, next_stage)
    content.decision_lines = list(lines)
    content.resumed_from_hold = s.state == "on_hold"
    this_round = [iv for iv in _interviews(s) if iv.round == s.round]
    content.feedback, carries = _undelivered_sections(s, this_round)
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
    s.hold_until = cmd.hold_until or min(staff_due(s, now, p.decision_due), limit)
    s.hold_lines = list(cmd.feedback)
    s.hold_reasons_asked = False
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


def erase(s: CandidacyState, now: datetime) -> list[str]:
    """The candidate asked to be erased: the candidacy ends now and sends nothing more (a
    message already on its way cannot be recalled). Its data is then deleted from outside."""
    s.outbox.clear()
    s.erased = True
    if s.outcome is None:
        s.outcome = "erased"
        s.outcome_at = now
    s.state = "completed"
    return []


def validate_offer_update(s: CandidacyState, cmd: OfferUpdate) -> str | None:
    if s.outcome != "offer":
        return "there is no offer on this candidacy"
    if s.offer_settled:
        return "the offer is already settled"
    if cmd.event == "details_sent" and s.offer_details_due_at is None:
        return "the offer's details were already recorded as sent"
    return None


def offer_update(s: CandidacyState, cmd: OfferUpdate, now: datetime) -> list[str]:
    """The written offer went out, or the offer was accepted or declined."""
    s.offer_details_due_at = None
    if cmd.event in ("accepted", "declined"):
        s.offer_settled = True
    return _maybe_finish(s, now)


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
    told_elsewhere: bool = False,
) -> list[str]:
    """Queue the one final message. Callers guarantee the candidacy is still open.
    `told_elsewhere`: the ATS told the candidate this outcome itself; the message then carries
    only the feedback and reasons (and is withheld when there are none)."""
    content = _content(s, now)
    content.reason = reason
    content.told_elsewhere = told_elsewhere
    content.decision_lines = decision_lines or []
    content.automatic = automatic
    content.withdrawal_reason = withdrawal_reason
    content.resumed_from_hold = s.state == "on_hold"
    content.thank_for_time = hours_invested(s) > 0
    interviews = _interviews(s)
    if kind == "rejection":
        # A rejection is the full record: every round's lines, even those sent before.
        content.feedback, carries = _all_sections(s, interviews)
    else:
        content.feedback, carries = _undelivered_sections(s, interviews)
    for iv in interviews:
        iv.round_closed = True
    _close_stage(s, outcome, now)
    s.outcome = outcome
    s.outcome_at = now
    s.state = "finishing"
    s.hold_until = None
    if _v11(s):
        if content.pending_feedback_stages:
            content.feedback_expected_by = now + s.policy.feedback_wait_max
        if outcome == "offer" and not told_elsewhere:  # an ATS's offer carries its details
            s.offer_details_due_at = staff_due(s, now, s.policy.offer_details_due)
            content.offer_details_by = s.offer_details_due_at
            content.next_contact_by = s.offer_details_due_at
        elif outcome == "withdrawn":
            content.survey_follows = False  # a withdrawal is never followed by a survey
    queued = [_enqueue(s, kind, "candidate", content, now, carries=carries)]
    return queued + _maybe_finish(s, now)


# --- quiet hours -------------------------------------------------------------------------------

# Messages that answer something a person decided: they may wait for the morning. Everything else
# goes at once (an acknowledgement or a withdrawal the candidate has just made, a message a
# deadline sent, which holding would make late).
HOLDABLE_KINDS = frozenset(
    {"stage_result", "rejection", "offer", "role_closed", "feedback_update", "survey"}
)


def _quiet_window(s: CandidacyState, at: datetime) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the candidate's quiet hours around `at`, or (None, None) outside them."""
    window = s.policy.quiet_hours
    if not _v11(s) or window is None:
        return None, None
    tz = ZoneInfo(recipient_locale(s, "candidate")[1])
    first, last = (time.fromisoformat(part) for part in window.split("/"))
    local = at.astimezone(tz)
    for day in (local.date() - DAY, local.date()):
        start = datetime.combine(day, first, tz)
        end = datetime.combine(day if last > first else day + DAY, last, tz)
        if start <= local < end:
            return start.astimezone(at.tzinfo), end.astimezone(at.tzinfo)
    return None, None


def send_after(s: CandidacyState, msg: OutgoingMessage, now: datetime) -> datetime | None:
    """When a queued message may go: None for now, else the end of the candidate's quiet hours.

    It waits only when waiting breaks no promise: the end comes before the silence limit, the
    date the candidate was last given, and every other deadline of the candidacy."""
    if msg.recipient != "candidate" or msg.kind not in HOLDABLE_KINDS:
        return None
    _, end = _quiet_window(s, now)
    if end is None:
        return None
    limits = [silence_limit(s)]
    if s.promised_by is not None:
        limits.append(s.promised_by)
    limits += [d.due_at for d in deadlines(s)]
    return end if all(end <= limit for limit in limits) else None


def next_to_send(
    s: CandidacyState, now: datetime
) -> tuple[OutgoingMessage | None, datetime | None]:
    """The message the courier delivers next, in queue order (a candidate's messages keep their
    order; staff mail never waits behind a candidate's quiet hours); else (None, when to look
    again)."""
    wake: datetime | None = None
    for msg in s.outbox:
        if withheld(s, msg) is not None:
            return msg, None  # never sent: no quiet hours to wait for
        if msg.recipient == "candidate":
            if wake is not None:
                continue  # behind a candidate message that waits for the morning
            after = send_after(s, msg, now)
            if after is not None and after > now:
                wake = after
                continue
        return msg, None
    return None, wake


# --- delivery outcomes -------------------------------------------------------------------------


def withheld(s: CandidacyState, msg: OutgoingMessage) -> str | None:
    """Why a message is recorded and not sent, or None. A message to a candidate who may not be
    emailed (candidate.can_email false), and an outcome the ATS told the candidate itself with
    nothing to add (no feedback, no reasons): everything else happens as if it had been sent
    (the clocks, the feedback owed, what follows), so the staff side of every promise runs."""
    if msg.recipient != "candidate":
        return None
    if not s.candidate.can_email:
        return "the candidate may not be emailed"
    c = msg.content
    if c.told_elsewhere and not (c.feedback or c.decision_lines or c.pending_feedback_stages):
        return "told by the ATS, with no feedback or reasons to add"
    return None


def on_delivered(
    s: CandidacyState,
    message_id: str,
    now: datetime,
    *,
    skipped: str | None = None,
    withheld: bool = False,
    withheld_why: str | None = None,
) -> list[str]:
    msg = _pop(s, message_id)
    if msg is None:
        return []
    if skipped is not None:  # deliberately not sent (a survey inside its cooldown)
        _record(s, message_id, status="skipped", at=None, error=skipped)
        return _maybe_finish(s, now)
    _record(
        s,
        message_id,
        status="withheld" if withheld else "delivered",
        at=now,
        error=withheld_why if withheld else None,
    )
    if msg.recipient == "candidate":
        s.last_delivered_at = now
        if s.survey_due_at is not None and msg.kind != "survey":
            # Something reached them meanwhile (late feedback): the survey waits again.
            s.survey_due_at = now + s.policy.survey_delay
        if msg.content.next_contact_by is not None:
            s.promised_by = msg.content.next_contact_by
        for interview_id, count in msg.carries_feedback.items():
            iv = s.interviews.get(interview_id)
            if iv is not None:
                iv.delivered_lines = max(iv.delivered_lines, count)
                if iv.feedback_delivered_at is None and _feedback_complete(iv):
                    iv.feedback_delivered_at = now
    return _maybe_finish(s, now)


def on_failed(
    s: CandidacyState, message_id: str, now: datetime, error: str, *, address: bool = True
) -> list[str]:
    """A message that can never be delivered. Tell a person; never loop.

    `address`: the recipient's address is refused (nothing more can reach them). Otherwise the
    mail system refused this one message: the candidate's later messages still go out, a plain
    copy (no feedback lines, which go to the contact to pass on) is tried once, and the contact
    is told."""
    msg = _pop(s, message_id)
    if msg is None:
        return []
    _record(s, message_id, status="failed", at=None, error=error)
    queued: list[str] = []
    if not address:
        if msg.recipient != "candidate":
            return _maybe_finish(s, now)  # a staff message: nobody left to tell about it
        staff = msg.content.model_copy(deep=True)
        staff.reason = "message_refused"
        staff.refused_kind = msg.kind
        queued.append(_enqueue(s, "escalation", "contact", staff, now))
        for interview_id in msg.carries_feedback:
            iv = s.interviews.get(interview_id)
            if iv is not None and not _feedback_complete(iv):
                iv.abandoned = True  # passed to the contact; the candidacy can still end
        if not msg.content.plain_resend and msg.kind != "survey":
            plain = msg.content.model_copy(deep=True)
            plain.plain_resend = True
            plain.feedback = []
            plain.decision_lines = []
            plain.withdrawal_reason = None
            queued.append(_enqueue(s, msg.kind, "candidate", plain, now))
        return queued + _maybe_finish(s, now)
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
    if _v11(s):
        if s.outcome == "offer" and (s.offer_details_due_at is not None or not s.offer_settled):
            if s.offer_details_due_at is not None or s.outcome_at is None:
                return []  # the written details are still owed
            if now < s.outcome_at + s.policy.feedback_wait_max:
                return []  # no survey to someone holding an offer until it is settled
            s.offer_settled = True  # never settled: nothing more to wait for
        wants_survey = bool(s.role.survey_url) and s.outcome != "withdrawn"
        if wants_survey and not s.survey_queued:
            if s.survey_due_at is None:
                s.survey_due_at = (s.last_delivered_at or now) + s.policy.survey_delay
            if now < s.survey_due_at:
                return []  # the survey rule's deadline queues it
            s.survey_due_at = None
            return _queue_survey(s, now)
    elif s.role.survey_url and not s.survey_queued:
        return _queue_survey(s, now)
    if not s.outbox:
        s.state = "completed"
    return []


def _queue_survey(s: CandidacyState, now: datetime) -> list[str]:
    if s.survey_queued or s.state != "finishing" or not s.role.survey_url:
        return []
    s.survey_queued = True
    content = _content(s, now)
    content.survey_url = s.role.survey_url
    content.survey_anonymous = bool(s.role.survey_anonymous)
    return [_enqueue(s, "survey", "candidate", content, now)]


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
        candidate_mail="on" if s.candidate.can_email else "off",
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
    content.locale, content.time_zone = recipient_locale(s, recipient)
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
    status: Literal["delivered", "failed", "skipped", "withheld"],
    at: datetime | None,
    error: str | None = None,
) -> None:
    for rec in s.messages:
        if rec.message_id == message_id:
            rec.status = status
            rec.delivered_at = at
            rec.error = error
            return


def _content(s: CandidacyState, now: datetime) -> MessageContent:
    return MessageContent(
        candidate_name=s.candidate.name,
        role_title=s.role.title,
        company=s.role.company,
        stage=stage_name(s, s.stage),
        hours_invested=hours_invested(s),
        pending_feedback_stages=_names(s, [iv.stage for iv in _missing_feedback(s)]),
        candidacy_id=s.workflow_id,
        hold_until=s.hold_until,
        interview_count=len(s.interviews),
        round=s.round,
    )


def _names(s: CandidacyState, stages: list[str]) -> list[str]:
    """Display names, each once, in order."""
    return list(dict.fromkeys(stage_name(s, st) for st in stages))


def recipient_locale(s: CandidacyState, recipient: Recipient) -> tuple[str, str]:
    """(locale, time zone) a recipient reads in: the candidate's own, else the role's."""
    if recipient == "candidate":
        return (
            s.candidate.locale or s.role.locale,
            s.candidate.time_zone or s.role.time_zone,
        )
    return s.role.locale, s.role.time_zone


def _next_contact_by(s: CandidacyState, now: datetime) -> datetime:
    """The date the candidate will hear from us next, at the latest."""
    latest = now + s.policy.max_silence
    if s.state == "active":
        latest = min(latest, staff_due(s, max(now, s.decision_anchor), s.policy.decision_due))
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
    s: CandidacyState, interviews: list[InterviewState]
) -> tuple[list[FeedbackSection], dict[str, int]]:
    return _sections(s, interviews, everything=False)


def _all_sections(
    s: CandidacyState, interviews: list[InterviewState]
) -> tuple[list[FeedbackSection], dict[str, int]]:
    return _sections(s, interviews, everything=True)


def _sections(
    s: CandidacyState, interviews: list[InterviewState], *, everything: bool
) -> tuple[list[FeedbackSection], dict[str, int]]:
    """Feedback grouped by stage (two interviews in one stage make one section), in order."""
    by_stage: dict[str, list[str]] = {}
    carries: dict[str, int] = {}
    for iv in interviews:
        lines = list(iv.feedback) if everything else iv.feedback[iv.delivered_lines :]
        if lines:
            section = by_stage.setdefault(stage_name(s, iv.stage), [])
            section.extend(line for line in lines if line not in section)
            carries[iv.interview_id] = len(iv.feedback)
    return [FeedbackSection(stage=st, lines=ls) for st, ls in by_stage.items()], carries


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
