"""Report figures from hand-made statuses: the definitions in the README, edge by edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from heardback.starter.report import build_report, render_html
from heardback.workflows.models import InterviewSummary, MessageRecord, StageRecord, Status

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def msg(kind: str, day: float, recipient: str = "candidate", **kw: Any) -> MessageRecord:
    at = T0 + timedelta(days=day)
    return MessageRecord.model_validate(
        {
            "message_id": f"m-{kind}-{day}",
            "kind": kind,
            "recipient": recipient,
            "queued_at": at,
            "delivered_at": at,
            "status": "delivered",
            **kw,
        }
    )


def status(cid: str, *, messages: list[MessageRecord], **kw: Any) -> Status:
    base: dict[str, Any] = {
        "workflow_id": f"candidacy-r-1-{cid}",
        "role_id": "r-1",
        "candidate_id": cid,
        "state": "active",
        "stage": "application",
        "outcome": None,
        "hours_invested": 0.0,
        "next_deadline": None,
        "last_delivered_at": None,
        "hold_until": None,
        "interviews": [],
        "messages": messages,
        "rejected_inputs": [],
        "started_at": T0,
    }
    return Status.model_validate({**base, **kw})


def test_silence_counts_delivered_candidate_messages_only_and_the_open_gap() -> None:
    now = T0 + timedelta(days=20)
    quiet = status(
        "c-quiet",
        messages=[
            msg("acknowledgement", 0.5),
            msg("feedback_reminder", 3, recipient="interviewer"),  # not news for the candidate
            msg("status_update", 9),  # after 8.5 days of silence
            msg("status_update", 12, status="pending", delivered_at=None),  # not delivered yet
        ],
    )
    report = build_report([quiet], now)
    figures = report.per_candidacy[0]
    assert figures.first_response_hours == 12.0
    assert figures.longest_silence_hours == 11 * 24  # day 9 -> now (day 20), still open
    assert figures.informed_within_7_days is False
    assert report.informed_within_7_days.numerator == 0


def test_a_completed_candidacy_stops_counting_at_its_last_message() -> None:
    done = status(
        "c-done",
        state="completed",
        outcome="rejected",
        hours_invested=5.0,
        messages=[msg("acknowledgement", 0), msg("rejection", 6)],
        interviews=[
            InterviewSummary(
                interview_id="i-1",
                stage="screen",
                duration=timedelta(hours=5),
                feedback_lines=0,
                feedback_delivered=False,
                completed_at=T0 + timedelta(days=2),
            )
        ],
        stages=[
            StageRecord(
                stage="application",
                entered_at=T0,
                decided_at=T0 + timedelta(days=6),
                decision="rejected",
            )
        ],
    )
    report = build_report([done], T0 + timedelta(days=300))
    assert report.per_candidacy[0].longest_silence_hours == 6 * 24
    assert report.informed_within_7_days.numerator == 1
    # 5 h invested, decided, and the interview's feedback never reached the candidate.
    assert report.written_reasons_at_3h.numerator == 0
    assert report.written_reasons_at_3h.denominator == 1
    assert report.feedback_still_owed == 1
    assert report.time_to_decision_by_stage["application"].median_hours == 144.0


def test_quantiles_and_the_empty_case() -> None:
    ones = [
        status(f"c-{i}", messages=[msg("acknowledgement", i / 24)]) for i in range(1, 11)
    ]  # first responses after 1..10 hours
    report = build_report(ones, T0 + timedelta(days=1))
    assert report.time_to_first_response.median_hours == 5.5
    assert report.time_to_first_response.p90_hours == 9.1
    assert report.time_to_first_response.max_hours == 10.0

    empty = build_report([], T0)
    assert empty.candidacies == 0
    assert empty.informed_within_7_days.percent is None
    assert "none yet" in render_html(empty)


def test_html_is_self_contained_and_ids_only() -> None:
    report = build_report(
        [status("c-7", messages=[msg("acknowledgement", 0)])], T0 + timedelta(days=2)
    )
    page = render_html(report)
    assert page.startswith("<!doctype html>")
    assert "<svg" in page and "c-7" in page
    for outside in ("<script", "http://", "https://", "@import"):
        assert outside not in page
