"""Greenhouse interviews and scorecards, read from the Harvest API (Greenhouse sends no webhook
for either): what heardback makes of them.

Pure: it maps Harvest's documented objects (`GET /v1/scheduled_interviews`,
`GET /v1/scorecards`, `GET /v1/applications/{id}`) to heardback's `interview_completed` and
`submit_feedback`. The polling itself (the `HarvestPoll` workflow on a Temporal schedule, its
activity) is in heardback.workflows.harvest_poll and heardback.gateway.ats_worker.

- An interview is a scheduled interview whose status is `awaiting_feedback` or `complete`
  (Greenhouse's words for "it took place"), on the application's candidacy (`app-<id>`, under
  the role of its job, `gh-<job>`); its id in heardback is `gh-si-<scheduled interview id>`, its
  stage the application's current stage, its length from start to end (an all-day interview,
  which has dates only, counts as one hour), its interviewer the first with an address.
- Its candidate-facing lines are the answers, on the interviewer's scorecard (matched through
  the interviewer's `scorecard_id`), to the questions the tenant names
  (`HEARDBACK_GREENHOUSE_FEEDBACK_QUESTIONS`), one line per line of the answer. Nothing else on
  a scorecard reaches the candidate: the other answers, the attribute notes and the overall
  recommendation become the round's internal notes (for the hiring contact's page, labelled
  internal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from heardback.gateway import greenhouse
from heardback.gateway.ats_plan import as_dict, iso_time

TOOK_PLACE = {"awaiting_feedback", "complete"}
ALL_DAY = timedelta(hours=1)
MAX_NOTES = 20000


@dataclass(frozen=True)
class Round:
    """One interview that took place, as heardback records it."""

    role_id: str
    candidate_id: str
    interview_id: str
    stage: str
    interviewer_email: str
    duration: timedelta
    ended_at: datetime | None
    lines: list[str]  # candidate-facing, from the mapped questions; empty if none yet
    internal_notes: str | None
    scorecard_key: str | None  # the scorecard's id and update time: one submission per version


def questions_of(setting: str) -> set[str]:
    return {q.strip().casefold() for q in setting.split(",") if q.strip()}


def feedback_of(scorecard: dict[str, Any], questions: set[str]) -> tuple[list[str], str | None]:
    """(candidate-facing lines, internal notes) of a scorecard."""
    lines: list[str] = []
    notes: list[str] = []
    for raw in scorecard.get("questions") or []:
        q = as_dict(raw)
        asked, answer = str(q.get("question") or ""), q.get("answer")
        if not isinstance(answer, str) or not answer.strip():
            continue
        if asked.strip().casefold() in questions:
            lines += [line.strip() for line in answer.splitlines() if line.strip()]
        else:
            notes.append(f"{asked}: {answer.strip()}")
    for raw in scorecard.get("attributes") or []:
        a = as_dict(raw)
        if isinstance(a.get("note"), str) and a["note"].strip():
            notes.append(f"{a.get('name')}: {a['note'].strip()} ({a.get('rating')})")
    if scorecard.get("overall_recommendation"):
        notes.append(f"Overall recommendation: {scorecard['overall_recommendation']}")
    text = "\n".join(notes)[:MAX_NOTES]
    return lines, text or None


def _moment(value: Any) -> datetime | None:
    value = as_dict(value)
    return iso_time(value.get("date_time")) if value.get("date_time") else None


def rounds(
    interviews: list[dict[str, Any]],
    scorecards: dict[Any, dict[str, Any]],
    applications: dict[Any, dict[str, Any]],
    questions: set[str],
) -> list[Round]:
    """The interviews that took place, with their scorecards' lines where submitted.

    `scorecards` by id; `applications` by id (those not found are left out: an application
    heardback never heard of, or deleted meanwhile)."""
    out: list[Round] = []
    for si in interviews:
        if si.get("status") not in TOOK_PLACE:
            continue
        app = applications.get(si.get("application_id"))
        jobs = [as_dict(j) for j in (app or {}).get("jobs") or []]
        if app is None or not jobs or jobs[0].get("id") is None:
            continue
        who = next(
            (as_dict(i) for i in si.get("interviewers") or [] if as_dict(i).get("email")), None
        )
        if who is None:
            continue
        start, end = _moment(si.get("start")), _moment(si.get("end"))
        duration = end - start if start and end and end > start else ALL_DAY
        card = scorecards.get(who.get("scorecard_id"))
        lines, notes = feedback_of(card, questions) if card else ([], None)
        stage = as_dict(app.get("current_stage")).get("name") or "interview"
        out.append(
            Round(
                role_id=greenhouse.role_id(jobs[0]["id"]),
                candidate_id=greenhouse.candidate_id(app["id"]),
                interview_id=f"gh-si-{si['id']}",
                stage=str(stage),
                interviewer_email=str(who["email"]),
                duration=duration,
                ended_at=end,
                lines=lines,
                internal_notes=notes,
                scorecard_key=(
                    f"{card['id']}-{card.get('updated_at') or card.get('submitted_at')}"
                    if card
                    else None
                ),
            )
        )
    return out
