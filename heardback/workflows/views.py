"""The one-step pages' view of a candidacy (the `page_view` query): pure, like the policy.

Each page takes only its reader's part: the interviewer's page one interview, the contact's
decision page the round so far, the candidate's status page what they have already received.
"""

from __future__ import annotations

from heardback.workflows import policy
from heardback.workflows.models import (
    CandidacyState,
    FeedbackSection,
    PageInterview,
    PageView,
)


def page_view(s: CandidacyState) -> PageView:
    locale, zone = policy.recipient_locale(s, "candidate")
    staff_locale, staff_zone = policy.recipient_locale(s, "contact")
    latest_hold = None
    if s.state in policy.OPEN_STATES:
        start = s.hold_started_at if s.state == "on_hold" and s.hold_started_at else None
        if start is not None:
            latest_hold = start + s.policy.hold_max
    interviews = [
        PageInterview(
            interview_id=iv.interview_id,
            stage=policy.stage_name(s, iv.stage),
            completed_at=iv.completed_at,
            interviewer_email=iv.interviewer_email,
            feedback=list(iv.feedback),
            delivered_lines=iv.delivered_lines,
            internal_notes=list(iv.internal_notes),
            this_round=iv.round == s.round,
        )
        for iv in sorted(s.interviews.values(), key=lambda iv: iv.completed_at)
    ]
    decision_due_at = None
    if s.state == "active":
        this_round = [iv.completed_at for iv in s.interviews.values() if iv.round == s.round]
        anchor = max([s.stage_started_at, *this_round])
        decision_due_at = policy.staff_due(s, anchor, s.policy.decision_due)
    return PageView(
        workflow_id=s.workflow_id,
        candidate_name=s.candidate.name,
        candidate_locale=locale,
        candidate_time_zone=zone,
        staff_locale=staff_locale,
        staff_time_zone=staff_zone,
        role_title=s.role.title,
        company=s.role.company,
        state=s.state,
        stage=policy.stage_name(s, s.stage),
        round=s.round,
        outcome=s.outcome,
        outcome_at=s.outcome_at,
        hours_invested=policy.hours_invested(s),
        effort_threshold_hours=s.policy.effort_threshold.total_seconds() / 3600,
        reasons_required=policy.effort_requires_reasons(s),
        next_deadline=policy.next_deadline(s),
        promised_by=s.promised_by,
        hold_until=s.hold_until,
        latest_hold_until=latest_hold,
        stage_options={k: v for k, v in s.role.stage_names.items() if k != s.stage},
        interviews=interviews,
        received=received(s),
        decision_notes=decision_notes(s),
        decisions=list(s.decisions),
        hold_max=s.policy.hold_max,
        retention=s.policy.retention,
        decision_due_at=decision_due_at,
    )


def received(s: CandidacyState) -> list[FeedbackSection]:
    """The interview feedback the candidate has been sent, per stage, oldest first."""
    sections: dict[str, list[str]] = {}
    for iv in sorted(s.interviews.values(), key=lambda iv: iv.completed_at):
        lines = iv.feedback[: iv.delivered_lines]
        if lines:
            sections.setdefault(policy.stage_name(s, iv.stage), []).extend(lines)
    return [FeedbackSection(stage=k, lines=v) for k, v in sections.items()]


def decision_notes(s: CandidacyState) -> list[str]:
    """The notes of decisions announced to the candidate, oldest first (not a hold's reasons,
    which they read only if the hold runs out into a rejection)."""
    return [line for d in s.decisions if d.outcome != "hold" for line in d.lines]
