"""What the candidates of a simulated month heard, measured from the mail that was delivered.

Every figure is computed from `Delivered` records (what the local mail server accepted, with the
simulated time of its delivery) against the script (who applied when, which rounds they sat,
what the people decided): never from heardback's own view of what it sent. The same function
measures the plain ATS and heardback.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.sim_script import Script

# A candidate's outcome: the message that ends their wait.
OUTCOMES = {"rejection", "offer", "role_closed", "withdrawal_confirmation"}
SILENCE = timedelta(days=7)
BEGIN, END = "<!-- simulation:begin -->", "<!-- simulation:end -->"


@dataclass(frozen=True)
class Delivered:
    role: str
    candidate: str
    kind: str
    to: str
    at: datetime  # simulated time of delivery
    text: str


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 2)


def spread(values: list[float]) -> dict[str, float | None]:
    return {
        "median": quantile(values, 0.5),
        "p90": quantile(values, 0.9),
        "max": round(max(values), 2) if values else None,
    }


def days(span: timedelta) -> float:
    return span.total_seconds() / 86400


def measure(script: Script, mails: list[Delivered], *, channels: dict[str, str]) -> dict[str, Any]:
    """The side-by-side figures for one run. `channels` says, per interview, how its feedback
    was written (api, page or reply): the simulated person's choice; whether it reached the
    candidate is read from the mail."""
    params = script.params
    horizon = params.horizon
    weeks = days(horizon - params.t0) / 7
    to_candidate: dict[str, list[Delivered]] = defaultdict(list)
    to_staff: list[Delivered] = []
    for d in sorted(mails, key=lambda m: m.at):
        who = script.applicants.get(d.candidate)
        if who is not None and d.to == who.email:
            to_candidate[d.candidate].append(d)
        else:
            to_staff.append(d)
    withdrew = {a.candidate: a.at for a in script.actions if a.kind == "withdraw"}
    reasons: dict[str, set[str]] = defaultdict(set)
    for a in script.actions:
        if a.kind == "decide":
            reasons[a.candidate].update(a.reasons)
    rounds_of: dict[str, list[Any]] = defaultdict(list)
    for iv in script.interviews.values():
        rounds_of[iv.candidate].append(iv)

    per = _per_candidate(script, to_candidate, withdrew, reasons, rounds_of)
    rounds = list(script.interviews.values())
    heard_feedback = 0
    latency: list[float] = []
    by_channel: Counter[str] = Counter()
    for iv in rounds:
        times = [
            d.at
            for d in to_candidate[iv.candidate]
            if d.at >= iv.at and d.at <= horizon and any(line in d.text for line in iv.lines)
        ]
        if times:
            heard_feedback += 1
            latency.append((min(times) - iv.at).total_seconds() / 3600)
            by_channel[channels.get(iv.interview_id, "ats")] += 1

    reminders = Counter(d.to for d in to_staff if d.kind == "feedback_reminder")
    escalations = Counter(d.to for d in to_staff if d.kind == "escalation")
    interviewers = {iv.interviewer for iv in rounds}
    contacts = {script.contacts[r] for r in script.roles}
    staff_mail = bool(to_staff)
    return {
        "candidates": len(script.applicants),
        "withdrew": len(withdrew),
        "never_heard_outcome": per["never_heard"],
        "silent_over_7_days": per["silent"],
        "longest_silence_days": spread(per["longest"]),
        "rounds": len(rounds),
        "rounds_with_feedback_delivered": heard_feedback,
        "interview_to_feedback_hours": spread(latency),
        "rejections_after_3h_effort": per["rejections_after_effort"],
        "of_which_with_written_reasons": per["with_reasons"],
        "surveys_delivered": per["surveys"],
        "surveys_before_outcome_or_feedback": per["early_surveys"],
        "messages_per_candidate": spread([float(n) for n in per["per_candidate"]]),
        "messages_by_kind": dict(
            Counter(d.kind for ds in to_candidate.values() for d in ds if d.at <= horizon)
        ),
        "reminders_per_interviewer_week": (
            spread([reminders[i] / weeks for i in interviewers]) if staff_mail else None
        ),
        "escalations_per_contact_week": (
            spread([escalations[c] / weeks for c in contacts]) if staff_mail else None
        ),
        "feedback_rounds_by_channel": dict(by_channel),
        "longest_silence_histogram": histogram(per["longest"]),
    }


def _per_candidate(
    script: Script,
    to_candidate: dict[str, list[Delivered]],
    withdrew: dict[str, datetime],
    reasons: dict[str, set[str]],
    rounds_of: dict[str, list[Any]],
) -> dict[str, Any]:
    """Silence, outcome, surveys and rejections, candidate by candidate."""
    horizon = script.params.horizon
    never_heard = silent = 0
    longest: list[float] = []
    per_candidate: list[float] = []
    surveys = early_surveys = 0
    rejections_after_effort = with_reasons = 0
    for key, who in script.applicants.items():
        got = [d for d in to_candidate[key] if d.at <= horizon]
        per_candidate.append(len(got))
        outcome = next((d for d in got if d.kind in OUTCOMES), None)
        if outcome is None and key not in withdrew:
            never_heard += 1
        end = outcome.at if outcome else min(withdrew.get(key, horizon), horizon)
        marks = [who.applied_at] + [d.at for d in got if d.at <= end] + [end]
        gap = max((b - a for a, b in pairwise(marks)), default=timedelta(0))
        longest.append(days(gap))
        silent += gap > SILENCE
        feedback_times = [
            d.at for d in got for iv in rounds_of[key] if any(line in d.text for line in iv.lines)
        ]
        for d in got:
            if d.kind == "survey":
                surveys += 1
                if outcome is None or d.at < outcome.at or any(t > d.at for t in feedback_times):
                    early_surveys += 1
            if d.kind == "rejection":
                effort = sum((iv.duration for iv in rounds_of[key] if iv.at <= d.at), timedelta(0))
                if effort >= timedelta(hours=3):
                    rejections_after_effort += 1
                    with_reasons += any(r in d.text for r in reasons[key])

    return {
        "never_heard": never_heard,
        "silent": silent,
        "longest": longest,
        "per_candidate": per_candidate,
        "surveys": surveys,
        "early_surveys": early_surveys,
        "rejections_after_effort": rejections_after_effort,
        "with_reasons": with_reasons,
    }


BUCKETS = (1, 2, 3, 5, 7, 10, 14, 21, 28)


def histogram(values: list[float]) -> dict[str, int]:
    """Candidates by their longest silence, in days."""
    out: dict[str, int] = {}
    lo = 0
    for hi in BUCKETS:
        out[f"{lo}-{hi}"] = sum(lo <= v < hi for v in values)
        lo = hi
    out[f"{lo}+"] = sum(v >= lo for v in values)
    return out


# --- the report -------------------------------------------------------------------------------


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def _weekly(figure: dict[str, float | None] | None, missing: str) -> str:
    if figure is None:
        return missing
    return f"{_fmt(figure['median'])} / {_fmt(figure['max'])}"


def _pair(figure: dict[str, float | None]) -> str:
    return f"{_fmt(figure['median'])} / {_fmt(figure['p90'])}"


def _share(n: int, of: int) -> str:
    return f"{n} of {of} ({100 * n / of:.0f}%)" if of else "0"


def rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    p, h = result["plain_ats"], result["heardback"]

    def add(label: str, get: Any) -> None:
        out.append((label, get(p), get(h)))

    n = p["candidates"]
    add("candidates who never heard an outcome", lambda m: _share(m["never_heard_outcome"], n))
    add(
        "candidates left more than 7 days without news",
        lambda m: _share(m["silent_over_7_days"], n),
    )
    add(
        "longest silence per candidate, median / p90 (days)",
        lambda m: _pair(m["longest_silence_days"]),
    )
    add(
        "rounds with candidate-facing feedback delivered",
        lambda m: _share(m["rounds_with_feedback_delivered"], m["rounds"]),
    )
    add(
        "interview → feedback delivered, median / p90 (hours)",
        lambda m: _pair(m["interview_to_feedback_hours"]),
    )
    add(
        "rejections after 3 h or more, with written reasons",
        lambda m: _share(m["of_which_with_written_reasons"], m["rejections_after_3h_effort"]),
    )
    add(
        "surveys delivered before the outcome or feedback",
        lambda m: f"{m['surveys_before_outcome_or_feedback']} of {m['surveys_delivered']} surveys",
    )
    add(
        "messages per candidate, median / p90 / max",
        lambda m: "{median:.0f} / {p90:.0f} / {max:.0f}".format(**m["messages_per_candidate"]),
    )
    add(
        "feedback reminders per interviewer per week, median / max",
        lambda m: _weekly(m["reminders_per_interviewer_week"], "not simulated (the ATS's own)"),
    )
    add(
        "escalations per hiring contact per week, median / max",
        lambda m: _weekly(m["escalations_per_contact_week"], "none (the plain ATS sends none)"),
    )
    add(
        "rounds whose feedback came by the page / a reply / the API or ATS",
        lambda m: (
            " / ".join(str(m["feedback_rounds_by_channel"].get(c, 0)) for c in ("page", "reply"))
            + " / "
            + str(
                m["feedback_rounds_by_channel"].get("api", 0)
                + m["feedback_rounds_by_channel"].get("ats", 0)
            )
        ),
    )
    return out


def table(result: dict[str, Any]) -> str:
    lines = ["| figure | plain ATS | heardback |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows(result)]
    prm = result["params"]
    lines.append("")
    lines.append(
        f"Seed {result['seed']} (script {result['script']}): {prm['roles']} roles, "
        f"{prm['applicants']} applicants over {prm['weeks']} weeks, {prm['interviews']} "
        f"interviews, measured until {prm['measured_until'][:10]}; "
        f"{result['wall_seconds']:.0f} s of wall time for both runs."
    )
    refused = result.get("heardback_refused") or {}
    if refused:
        lines.append(
            "Commands heardback refused (and what the person did next): "
            + "; ".join(f"{k}: {v}" for k, v in sorted(refused.items()))
            + "."
        )
    return "\n".join(lines)


def render_markdown(path: Path, result: dict[str, Any]) -> None:
    """Rewrite the table between the markers in `path` (appended when it has none)."""
    block = f"{BEGIN}\n{table(result)}\n{END}"
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)


# --- the page ---------------------------------------------------------------------------------

COLOURS = {"plain ATS": "#9a9a9a", "heardback": "#1f6f8b"}


def _bars(title: str, groups: list[tuple[str, dict[str, float]]], unit: str = "") -> str:
    """A grouped bar chart as inline SVG: one group per label, one bar per run."""
    width, height, pad = 640, 240, 40
    top = max((v for _, vals in groups for v in vals.values()), default=1) or 1
    slot = (width - 2 * pad) / max(len(groups), 1)
    bar = slot / 3
    parts = [
        f'<svg viewBox="0 0 {width} {height + 60}" role="img" aria-label="{html.escape(title)}">',
        f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#333"/>',
    ]
    for i, (label, vals) in enumerate(groups):
        x = pad + i * slot + bar / 2
        for j, (run, value) in enumerate(vals.items()):
            h = (height - 20) * value / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{height - h:.1f}" width="{bar - 4:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[run]}"><title>{html.escape(run)}: '
                f"{value:g}{unit}</title></rect>"
            )
            parts.append(
                f'<text x="{x + j * bar + bar / 2 - 2:.1f}" y="{height - h - 4:.1f}" '
                f'font-size="11" text-anchor="middle">{value:g}</text>'
            )
        parts.append(
            f'<text x="{x + bar - 2:.1f}" y="{height + 16}" font-size="11" '
            f'text-anchor="middle">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return f"<figure><figcaption>{html.escape(title)}</figcaption>{''.join(parts)}</figure>"


def render_html(result: dict[str, Any]) -> str:
    p, h = result["plain_ats"], result["heardback"]
    runs = {"plain ATS": p, "heardback": h}

    def pick(key: str) -> dict[str, float]:
        return {name: float(m[key]) for name, m in runs.items()}

    headline = _bars(
        "Candidates (of all applicants)",
        [
            ("never heard an outcome", pick("never_heard_outcome")),
            ("over 7 days without news", pick("silent_over_7_days")),
        ],
    )
    feedback = _bars(
        "Interview rounds (of all rounds sat)",
        [
            ("feedback delivered", pick("rounds_with_feedback_delivered")),
            ("rounds sat", pick("rounds")),
        ],
    )
    buckets = list(p["longest_silence_histogram"])
    silence = _bars(
        "Candidates by their longest silence (days)",
        [
            (b, {n: float(m["longest_silence_histogram"][b]) for n, m in runs.items()})
            for b in buckets
        ],
    )
    table_rows = "".join(
        f"<tr><th scope='row'>{html.escape(a)}</th><td>{html.escape(b)}</td>"
        f"<td>{html.escape(c)}</td></tr>"
        for a, b, c in rows(result)
    )
    legend = " ".join(
        f'<span><span class="key" style="background:{c}"></span>{html.escape(n)}</span>'
        for n, c in COLOURS.items()
    )
    prm = result["params"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>heardback: a simulated hiring month</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
  padding: 0 1rem; color: #1b1b1b; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd;
  vertical-align: top; }}
figure {{ margin: 2rem 0; }} figcaption {{ font-weight: 600; margin-bottom: .5rem; }}
svg {{ width: 100%; height: auto; }}
.key {{ display: inline-block; width: .9rem; height: .9rem; margin: 0 .3rem 0 1rem;
  vertical-align: -2px; }}
</style></head><body>
<h1>A simulated hiring month</h1>
<p>The same seeded month (seed {result["seed"]}, script {result["script"]}): {prm["roles"]} roles,
{prm["applicants"]} applicants over {prm["weeks"]} weeks, {prm["interviews"]} interview rounds,
measured until {html.escape(prm["measured_until"][:10])}. Once with a plain ATS (only the mails a
person triggers), once with heardback's default policy. Every figure is read from the mail the
local mail server received.</p>
<p>{legend}</p>
<table><thead><tr><th>figure</th><th>plain ATS</th><th>heardback</th></tr></thead>
<tbody>{table_rows}</tbody></table>
{headline}{silence}{feedback}
</body></html>
"""
