"""How a hiring team is doing at keeping heardback's promises, computed from candidacy statuses.

Pure: `build_report(statuses, now)` takes `Status` records (ids, stages, times; no names, emails
or feedback) and returns the figures; `render_html` writes a self-contained page with inline SVG
charts. The CLI (`heardback report`) gathers the statuses from Temporal.

Definitions (also in the README):
- time to first response: from the application to the first message delivered to the candidate.
- time to decision, per stage: from entering a stage to the decision that ended it.
- interview to feedback: from an interview's completion to the delivery of its last feedback line.
- longest silence: the longest stretch the candidate went without a delivered message, from the
  application until the candidacy completed (or until now, for one still open).
- informed within 7 days: share of candidates whose longest silence is at most 7 days.
- written reasons at 3+ hours: of decided candidates who invested 3 hours or more in interviews,
  the share who received written feedback for every interview they sat.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from heardback.workflows.models import Status

SEVEN_DAYS = timedelta(days=7)
EFFORT_HOURS = 3.0


class Spread(BaseModel):
    """A distribution of durations, in hours."""

    count: int
    median_hours: float | None
    p90_hours: float | None
    max_hours: float | None

    @classmethod
    def of(cls, durations: Iterable[timedelta]) -> Spread:
        hours = sorted(d.total_seconds() / 3600 for d in durations)
        if not hours:
            return cls(count=0, median_hours=None, p90_hours=None, max_hours=None)
        return cls(
            count=len(hours),
            median_hours=round(_quantile(hours, 0.5), 2),
            p90_hours=round(_quantile(hours, 0.9), 2),
            max_hours=round(hours[-1], 2),
        )


class CandidacyFigures(BaseModel):
    workflow_id: str
    role_id: str
    candidate_id: str
    state: str
    stage: str
    outcome: str | None
    hours_invested: float
    first_response_hours: float | None
    longest_silence_hours: float
    informed_within_7_days: bool
    written_reasons: bool | None  # None: not decided yet, or under the effort threshold


class Share(BaseModel):
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return None if self.denominator == 0 else round(100 * self.numerator / self.denominator, 1)


class Report(BaseModel):
    generated_at: datetime
    role_id: str | None
    candidacies: int
    open: int
    time_to_first_response: Spread
    time_to_decision_by_stage: dict[str, Spread]
    interview_to_feedback: Spread
    feedback_still_owed: int  # interviews whose feedback has not reached the candidate yet
    longest_silence: Spread
    informed_within_7_days: Share
    written_reasons_at_3h: Share
    per_candidacy: list[CandidacyFigures] = Field(default_factory=list)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    pos = (len(sorted_values) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def _candidate_deliveries(st: Status) -> list[datetime]:
    return sorted(
        m.delivered_at
        for m in st.messages
        if m.recipient == "candidate" and m.status == "delivered" and m.delivered_at is not None
    )


def figures(st: Status, now: datetime) -> CandidacyFigures:
    started = st.started_at or (st.messages[0].queued_at if st.messages else now)
    deliveries = _candidate_deliveries(st)
    first = (deliveries[0] - started) if deliveries else None
    open_ = st.state not in ("completed", "refused")
    points = [started, *deliveries]
    if open_ or not deliveries:
        points.append(now)
    silence = max((b - a for a, b in itertools.pairwise(points)), default=timedelta(0))
    written: bool | None = None
    if st.outcome is not None and st.hours_invested >= EFFORT_HOURS:
        written = all(iv.feedback_delivered for iv in st.interviews)
    return CandidacyFigures(
        workflow_id=st.workflow_id,
        role_id=st.role_id,
        candidate_id=st.candidate_id,
        state=st.state,
        stage=st.stage,
        outcome=st.outcome,
        hours_invested=st.hours_invested,
        first_response_hours=None if first is None else round(first.total_seconds() / 3600, 2),
        longest_silence_hours=round(silence.total_seconds() / 3600, 2),
        informed_within_7_days=silence <= SEVEN_DAYS,
        written_reasons=written,
    )


def build_report(statuses: Sequence[Status], now: datetime, role_id: str | None = None) -> Report:
    statuses = [s for s in statuses if s.state != "refused"]
    per = [figures(st, now) for st in statuses]
    first = [
        timedelta(hours=f.first_response_hours) for f in per if f.first_response_hours is not None
    ]
    by_stage: dict[str, list[timedelta]] = {}
    for st in statuses:
        for rec in st.stages:
            if rec.decided_at is not None:
                by_stage.setdefault(rec.stage, []).append(rec.decided_at - rec.entered_at)
    to_feedback = [
        iv.feedback_delivered_at - iv.completed_at
        for st in statuses
        for iv in st.interviews
        if iv.feedback_delivered_at is not None and iv.completed_at is not None
    ]
    owed = sum(1 for st in statuses for iv in st.interviews if not iv.feedback_delivered)
    effort = [f for f in per if f.written_reasons is not None]
    return Report(
        generated_at=now,
        role_id=role_id,
        candidacies=len(per),
        open=sum(1 for f in per if f.state in ("active", "on_hold")),
        time_to_first_response=Spread.of(first),
        time_to_decision_by_stage={k: Spread.of(v) for k, v in by_stage.items()},
        interview_to_feedback=Spread.of(to_feedback),
        feedback_still_owed=owed,
        longest_silence=Spread.of(timedelta(hours=f.longest_silence_hours) for f in per),
        informed_within_7_days=Share(
            numerator=sum(1 for f in per if f.informed_within_7_days), denominator=len(per)
        ),
        written_reasons_at_3h=Share(
            numerator=sum(1 for f in effort if f.written_reasons), denominator=len(effort)
        ),
        per_candidacy=per,
    )


# --- presentation ------------------------------------------------------------------------------


def human_hours(hours: float | None) -> str:
    if hours is None:
        return "-"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def share_text(share: Share) -> str:
    pct = share.percent
    if pct is None:
        return "- (none yet)"
    return f"{pct:.0f}% ({share.numerator} of {share.denominator})"


def summary_rows(report: Report) -> list[tuple[str, str, str]]:
    """(figure, value, detail) rows, shared by the terminal table and the HTML page."""
    ttfr = report.time_to_first_response
    fb = report.interview_to_feedback
    sil = report.longest_silence
    rows = [
        ("Candidacies", str(report.candidacies), f"{report.open} still open"),
        (
            "Time to first response",
            human_hours(ttfr.median_hours),
            f"median; p90 {human_hours(ttfr.p90_hours)}; n={ttfr.count}",
        ),
        (
            "Interview to delivered feedback",
            human_hours(fb.median_hours),
            f"median; p90 {human_hours(fb.p90_hours)}; {report.feedback_still_owed} still owed",
        ),
        (
            "Longest silence per candidate",
            human_hours(sil.median_hours),
            f"median; worst {human_hours(sil.max_hours)}",
        ),
        ("Informed within 7 days", share_text(report.informed_within_7_days), "never silent 7d+"),
        (
            "Written reasons at 3+ hours",
            share_text(report.written_reasons_at_3h),
            "decided candidates with 3h+ invested",
        ),
    ]
    for stage, spread in report.time_to_decision_by_stage.items():
        rows.append(
            (
                f"Time to decision: {stage}",
                human_hours(spread.median_hours),
                f"median; p90 {human_hours(spread.p90_hours)}; n={spread.count}",
            )
        )
    return rows


def _bar_chart(title: str, items: list[tuple[str, float]], unit: str, limit: float | None) -> str:
    """A horizontal bar chart as inline SVG; `limit` draws the promise as a red line."""
    width, label_w, row_h = 640, 200, 28
    height = 40 + row_h * max(len(items), 1)
    top = max([v for _, v in items] + [limit or 0, 1e-9])
    scale = (width - label_w - 60) / top
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="0" y="18" class="t">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 32 + i * row_h
        w = max(value * scale, 1)
        shown = f"{value:.1f} {unit}" if unit else f"{value:.0f}"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 8}" rx="3" />'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{shown}</text>'
        )
    if limit is not None:
        x = label_w + limit * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="26" x2="{x:.1f}" y2="{height}" class="limit" />'
            f'<text x="{x + 4:.1f}" y="{height - 4}" class="limit-t">promise</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _gauge(title: str, share: Share) -> str:
    pct = share.percent
    angle = 0.0 if pct is None else pct / 100
    r, c = 54, 2 * math.pi * 54
    return (
        f'<figure class="gauge"><svg viewBox="0 0 140 140" role="img" '
        f'aria-label="{html.escape(title)}">'
        f'<circle cx="70" cy="70" r="{r}" class="track" />'
        f'<circle cx="70" cy="70" r="{r}" class="fill" stroke-dasharray="{c * angle:.1f} {c:.1f}"'
        f' transform="rotate(-90 70 70)" />'
        f'<text x="70" y="78" text-anchor="middle" class="big">'
        f"{'-' if pct is None else f'{pct:.0f}%'}</text></svg>"
        f"<figcaption>{html.escape(title)}<br><small>{share.numerator} of "
        f"{share.denominator}</small></figcaption></figure>"
    )


def render_html(report: Report) -> str:
    """A self-contained page (no scripts, no external assets) a hiring manager can open."""
    scope = f"role {report.role_id}" if report.role_id else "all roles"
    stage_items = [
        (stage, (s.median_hours or 0) / 24) for stage, s in report.time_to_decision_by_stage.items()
    ]
    buckets = [("under 1 day", 0), ("1-3 days", 0), ("3-7 days", 0), ("over 7 days", 0)]
    counts = dict(buckets)
    for f in report.per_candidacy:
        days = f.longest_silence_hours / 24
        key = (
            "under 1 day"
            if days < 1
            else "1-3 days"
            if days < 3
            else "3-7 days"
            if days <= 7
            else "over 7 days"
        )
        counts[key] += 1
    rows = "".join(
        f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td><td>{html.escape(c)}</td></tr>"
        for a, b, c in summary_rows(report)
    )
    worst = sorted(report.per_candidacy, key=lambda f: -f.longest_silence_hours)[:20]
    worst_rows = "".join(
        f"<tr><td>{html.escape(f.candidate_id)}</td><td>{html.escape(f.role_id)}</td>"
        f"<td>{html.escape(f.stage)}</td><td>{html.escape(f.outcome or f.state)}</td>"
        f"<td>{human_hours(f.longest_silence_hours)}</td>"
        f"<td>{'yes' if f.informed_within_7_days else 'NO'}</td></tr>"
        for f in worst
    )
    charts = _bar_chart("Median time to decision, by stage", stage_items, "d", 5.0)
    charts += _bar_chart(
        "Candidates by longest silence", [(k, float(v)) for k, v in counts.items()], "", None
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>heardback report: {html.escape(scope)}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 760px;
       color: #1d2433; padding: 0 1rem; }}
h1 {{ font-size: 1.5rem; margin-bottom: .2rem; }} .sub {{ color: #5b6475; margin-top: 0; }}
.gauges {{ display: flex; gap: 2rem; flex-wrap: wrap; margin: 1.5rem 0; }}
.gauge {{ margin: 0; text-align: center; width: 180px; }}
.gauge .track {{ fill: none; stroke: #e6e9ef; stroke-width: 14; }}
.gauge .fill {{ fill: none; stroke: #2f7d5b; stroke-width: 14; stroke-linecap: round; }}
.gauge .big {{ font-size: 26px; font-weight: 600; fill: #1d2433; }}
svg {{ width: 100%; height: auto; margin: 1rem 0; font-size: 13px; fill: #1d2433; }}
svg rect {{ fill: #4a6fa5; }} svg .t {{ font-weight: 600; font-size: 14px; }}
svg .limit {{ stroke: #c0392b; stroke-dasharray: 4 3; }} svg .limit-t {{ fill: #c0392b; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e6e9ef; }}
footer {{ color: #5b6475; font-size: 13px; margin-top: 2rem; }}
</style></head><body>
<h1>Are our candidates hearing back?</h1>
<p class="sub">{html.escape(scope)} &middot; {report.candidacies} candidacies &middot;
generated {report.generated_at.strftime("%Y-%m-%d %H:%M UTC")}</p>
<div class="gauges">{_gauge("Never left 7 days without news", report.informed_within_7_days)}
{_gauge("Written reasons after 3+ hours invested", report.written_reasons_at_3h)}</div>
{charts}
<h2>Figures</h2><table>{rows}</table>
<h2>Longest silences</h2>
<table><tr><th>Candidate id</th><th>Role</th><th>Stage</th><th>Outcome</th>
<th>Longest silence</th><th>Within 7 days</th></tr>{worst_rows}</table>
<footer>Ids only: names, emails and feedback are not part of this report.
Figures are defined in heardback's README.</footer>
</body></html>
"""
