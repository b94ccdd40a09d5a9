"""Greenhouse interviews and scorecards, read from the Harvest API v3 (Greenhouse sends no
webhook for either): what heardback reads, and what it makes of it.

:func:`read_v3` reads, through a :class:`~heardback.gateway.provider_api.ProviderApi` holding
a Harvest v3 OAuth token, what changed since a time: `GET /v3/interviews` and
`GET /v3/scorecards` (`updated_at=gte|<time>`, completed scorecards only), then by ids, 50 at a
time, the interviewer rows that join the two (`GET /v3/interviewers`: an interview's panel, each
member's `scorecard_id`), the scorecards' answers, questions and candidate attributes, and the
applications. :func:`rounds` is pure: it maps what was read to heardback's
`interview_completed` and `submit_feedback`. The polling itself (the `HarvestPoll` workflow on a
Temporal schedule, its activity) is in heardback.workflows.harvest_poll and
heardback.gateway.ats_worker.

- An interview is one whose status is `awaiting_feedback` or `complete` (Greenhouse's words for
  "it took place"), on the application's candidacy (`app-<id>`, under the role of its job,
  `gh-<job>`); its id in heardback is `gh-si-<interview id>`, its stage the application's
  current stage (`stage_name`), its length from `starts_at` to `ends_at` (an all-day interview,
  which has dates only, counts as one hour), its interviewer the first panel member (by row id)
  with an address.
- Its candidate-facing lines are the answers, on that interviewer's completed scorecard, to the
  questions the tenant names (`HEARDBACK_GREENHOUSE_FEEDBACK_QUESTIONS`), one line per line of
  the answer. Nothing else on a scorecard reaches the candidate: the other answers, the key
  takeaways, the private and public notes, the attribute notes and the candidate rating become
  the round's internal notes (for the hiring contact's page, labelled internal).
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from heardback.gateway import greenhouse
from heardback.gateway.ats_plan import answer_text, as_dict, capped, iso_time
from heardback.gateway.provider_api import ProviderApi
from heardback.workflows.greenhouse_note import GreenhouseNoteInput

TOOK_PLACE = {"awaiting_feedback", "complete"}
ALL_DAY = timedelta(hours=1)
MAX_NOTES = 20000
IDS_PER_CALL = 50  # Harvest v3's `ids` and `*_ids` filters take at most 50
PER_PAGE = "500"  # Harvest v3's largest page
_TAG = re.compile(r"<[^>]+>")


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


@dataclass
class HarvestRead:
    """What one poll read from Harvest v3, by id."""

    interviews: dict[int, dict[str, Any]] = field(default_factory=dict)
    interviewers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by interview
    scorecards: dict[int, dict[str, Any]] = field(default_factory=dict)
    answers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by scorecard
    attributes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by scorecard
    questions: dict[int, dict[str, Any]] = field(default_factory=dict)
    applications: dict[int, dict[str, Any]] = field(default_factory=dict)
    not_found: int = 0  # applications asked for that Harvest does not have (deleted meanwhile)


def _ids(values: Iterable[Any]) -> list[int]:
    return sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)})


async def _by_ids(api: ProviderApi, path: str, name: str, ids: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(0, len(ids), IDS_PER_CALL):
        chunk = ",".join(str(v) for v in ids[i : i + IDS_PER_CALL])
        out += await api.get_list(path, **{name: chunk, "per_page": PER_PAGE})
    return out


def _grouped(rows: list[dict[str, Any]], key: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["id"] if isinstance(r.get("id"), int) else 0):
        if isinstance(row.get(key), int):
            out[row[key]].append(row)
    return dict(out)


async def read_v3(api: ProviderApi, since: str) -> HarvestRead:
    """What changed in Harvest v3 since `since` (ISO 8601, UTC), with what it needs."""
    changed = f"gte|{since}"
    read = HarvestRead()
    for iv in await api.get_list("interviews", updated_at=changed, per_page=PER_PAGE):
        if isinstance(iv.get("id"), int):
            read.interviews[iv["id"]] = iv
    cards = await api.get_list(
        "scorecards", updated_at=changed, status="complete", per_page=PER_PAGE
    )
    # A scorecard submitted after its interview last changed: read that interview too.
    panel = await _by_ids(api, "interviewers", "scorecard_ids", _ids(c.get("id") for c in cards))
    late = [i for i in _ids(row.get("interview_id") for row in panel) if i not in read.interviews]
    for iv in await _by_ids(api, "interviews", "ids", late):
        if isinstance(iv.get("id"), int):
            read.interviews[iv["id"]] = iv
    held = _ids(i for i, iv in read.interviews.items() if iv.get("status") in TOOK_PLACE)
    rows = {r["id"]: r for r in panel if isinstance(r.get("id"), int)}
    for row in await _by_ids(api, "interviewers", "interview_ids", held):
        if isinstance(row.get("id"), int):
            rows[row["id"]] = row
    read.interviewers = _grouped(
        [r for r in rows.values() if r.get("interview_id") in held], "interview_id"
    )
    read.scorecards = {c["id"]: c for c in cards if isinstance(c.get("id"), int)}
    wanted = _ids(r.get("scorecard_id") for group in read.interviewers.values() for r in group)
    missing = [c for c in wanted if c not in read.scorecards]
    for card in await _by_ids(api, "scorecards", "ids", missing):
        if isinstance(card.get("id"), int):
            read.scorecards[card["id"]] = card
    read.scorecards = {
        i: c for i, c in read.scorecards.items() if i in wanted and c.get("status") == "complete"
    }
    submitted = _ids(read.scorecards)
    answers = await _by_ids(api, "scorecard_question_answers", "scorecard_ids", submitted)
    read.answers = _grouped(answers, "scorecard_id")
    attributes = await _by_ids(api, "scorecard_candidate_attributes", "scorecard_ids", submitted)
    read.attributes = _grouped(attributes, "scorecard_id")
    kits = _ids(c.get("interview_kit_id") for c in read.scorecards.values())
    for q in await _by_ids(api, "scorecard_questions", "interview_kit_ids", kits):
        if isinstance(q.get("id"), int):
            read.questions[q["id"]] = q
    apps = _ids(read.interviews[i].get("application_id") for i in held)
    for app in await _by_ids(api, "applications", "ids", apps):
        if isinstance(app.get("id"), int):
            read.applications[app["id"]] = app
    read.not_found = len([a for a in apps if a not in read.applications])
    return read


def _id(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _plain(text: Any) -> str:
    """A question as the interviewer reads it (Harvest allows basic HTML in questions)."""
    return html.unescape(_TAG.sub("", text)).strip() if isinstance(text, str) else ""


def feedback_of(
    card: dict[str, Any],
    answers: list[dict[str, Any]],
    questions: dict[int, dict[str, Any]],
    attributes: list[dict[str, Any]],
    mapped: set[str],
) -> tuple[list[str], str | None]:
    """(candidate-facing lines, internal notes) of a completed scorecard."""
    lines: list[str] = []
    notes: list[str] = []

    def order(a: dict[str, Any]) -> tuple[int, int]:
        q = as_dict(questions.get(_id(a.get("scorecard_question_id"))))
        sort = q.get("sort_order")
        return (sort if isinstance(sort, int) else 1 << 30, a.get("scorecard_question_id") or 0)

    for a in sorted(answers, key=order):
        q = as_dict(questions.get(_id(a.get("scorecard_question_id"))))
        asked = _plain(q.get("question")) or "Question"
        text = a.get("answer")
        if asked.casefold() in mapped and isinstance(text, str):
            lines += [line.strip() for line in text.splitlines() if line.strip()]
        elif (
            given := answer_text(a.get("answer")) or answer_text(a.get("boolean_value"))
        ) is not None:
            notes.append(f"{asked}: {given}")
    for label, key in (
        ("Key takeaways", "notes"),
        ("Private notes", "private_notes"),
        ("Public notes", "public_notes"),
    ):
        if isinstance(card.get(key), str) and card[key].strip():
            notes.append(f"{label}: {card[key].strip()}")
    for attr in attributes:
        if isinstance(attr.get("note"), str) and attr["note"].strip():
            notes.append(f"Attribute ({attr.get('candidate_attribute_rating')}): {attr['note']}")
    if card.get("candidate_rating"):
        notes.append(f"Overall recommendation: {card['candidate_rating']}")
    text = "\n".join(notes)[:MAX_NOTES]
    return capped(lines), text or None


def rounds(read: HarvestRead, mapped: set[str]) -> list[Round]:
    """The interviews that took place, with their scorecards' lines where submitted; those on an
    application Harvest no longer has, or without a panel member with an address, are left
    out."""
    out: list[Round] = []
    for iv_id in sorted(read.interviews):
        iv = read.interviews[iv_id]
        if iv.get("status") not in TOOK_PLACE:
            continue
        app = read.applications.get(_id(iv.get("application_id")))
        if app is None or app.get("job_id") is None:
            continue
        who = next((r for r in read.interviewers.get(iv_id, []) if r.get("email")), None)
        if who is None:
            continue
        start, end = iso_time(iv.get("starts_at")), iso_time(iv.get("ends_at"))
        duration = end - start if start and end and end > start else ALL_DAY
        card = read.scorecards.get(_id(who.get("scorecard_id")))
        lines, notes = (
            feedback_of(
                card,
                read.answers.get(card["id"], []),
                read.questions,
                read.attributes.get(card["id"], []),
                mapped,
            )
            if card
            else ([], None)
        )
        out.append(
            Round(
                role_id=greenhouse.role_id(app["job_id"]),
                candidate_id=greenhouse.candidate_id(app["id"]),
                interview_id=f"gh-si-{iv_id}",
                stage=str(app.get("stage_name") or "interview"),
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


def note_of(note: GreenhouseNoteInput, candidate_id: int) -> dict[str, Any]:
    """The body of `POST /v3/notes` for a delivered message: a plain note on the candidate's
    activity feed, visible to the hiring team (`public` in Greenhouse's words: every user who
    can see the candidate), naming the message's kind, time and id; nothing of its content."""
    kind = note.kind.replace("_", " ")
    at = note.delivered_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return {
        "candidate_id": candidate_id,
        "application_id": note.application_id,
        "note_type": "NOTE",
        "visibility": "public",
        "body": f"heardback sent the candidate the {kind} message on {at}"
        f" (message {note.message_id}).",
    }
