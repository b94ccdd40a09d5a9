"""ATS webhooks (Greenhouse-style): verify, deduplicate, and map events into heardback commands.

ATSs deliver at least once and retry for hours, so each event is processed once: its id (the
``X-Event-Id`` header, else the body's ``event_id``, else the SHA-256 of the raw body, which a
retry repeats byte for byte) is claimed in a small SQLite table before it is applied and kept for
``webhook_dedupe_days``. The commands themselves are idempotent too (updates carry the event id as
their update id), so even a claim lost in a crash does not apply an event twice.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heardback.starter.client import HeardbackClient
from heardback.workflows import contract
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import InvalidInput, NotFound, Refused
from heardback.workflows.models import Candidate, Decide, InterviewCompleted

SIGNATURE_HEADER = "Signature"
EVENT_ID_HEADER = "X-Event-Id"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`: ``sha256 <hex digest>`` (as Greenhouse sends)."""
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    scheme, _, digest = header.strip().partition(" ")
    if scheme.lower() != "sha256" or not digest:
        scheme, _, digest = header.strip().partition("=")  # also accept "sha256=<hex>"
        if scheme.lower() != "sha256":
            return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


# --- dedupe ------------------------------------------------------------------------------------

Claim = Literal["new", "done", "in_progress"]


class DedupeStore:
    """Which webhook events were processed (SQLite; shared by gateways on one host)."""

    STALE_CLAIM_SECONDS = 300

    def __init__(self, path: Path, *, keep: timedelta = timedelta(days=14)) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._keep = keep
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS webhook_events ("
            " event_id TEXT PRIMARY KEY, claimed_at REAL NOT NULL, outcome TEXT)"
        )

    def claim(self, event_id: str) -> tuple[Claim, str | None]:
        """Claim an event for processing; ("done", outcome) if it was processed before."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT claimed_at, outcome FROM webhook_events WHERE event_id = ?",
                    (event_id,),
                ).fetchone()
                if row is not None:
                    claimed_at, outcome = row
                    if outcome is not None:
                        return "done", str(outcome)
                    if now - claimed_at < self.STALE_CLAIM_SECONDS:
                        return "in_progress", None
                self._db.execute(
                    "INSERT OR REPLACE INTO webhook_events (event_id, claimed_at, outcome)"
                    " VALUES (?, ?, NULL)",
                    (event_id, now),
                )
                self._db.execute(
                    "DELETE FROM webhook_events WHERE claimed_at < ?",
                    (now - self._keep.total_seconds(),),
                )
            finally:
                self._db.execute("COMMIT")
        return "new", None

    def finish(self, event_id: str, outcome: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE webhook_events SET outcome = ? WHERE event_id = ?", (outcome, event_id)
            )

    def release(self, event_id: str) -> None:
        """Forget a claim whose processing failed, so the ATS's retry is processed."""
        with self._lock:
            self._db.execute(
                "DELETE FROM webhook_events WHERE event_id = ? AND outcome IS NULL", (event_id,)
            )

    def close(self) -> None:
        self._db.close()


# --- the events we understand ------------------------------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GhEmail(_Loose):
    value: str


class GhCandidate(_Loose):
    id: int | str
    first_name: str | None = None
    last_name: str | None = None
    email_addresses: list[GhEmail] = Field(default_factory=list)


class GhJob(_Loose):
    id: int | str


class GhStage(_Loose):
    name: str


class GhApplication(_Loose):
    id: int | str | None = None
    candidate: GhCandidate
    jobs: list[GhJob] = Field(min_length=1)
    current_stage: GhStage | None = None


class GhInterviewer(_Loose):
    email: str


class GhInterview(_Loose):
    id: int | str
    status: str = "complete"
    stage: str | None = None
    interview_name: str | None = None
    interviewer: GhInterviewer
    duration_minutes: int = Field(gt=0, le=2880)
    # Candidate-facing lines only; scorecard notes stay in the ATS.
    candidate_feedback: list[str] = Field(default_factory=list)


class GhPayload(_Loose):
    application: GhApplication | None = None
    interview: GhInterview | None = None


class GhEvent(_Loose):
    action: str
    event_id: str | None = None
    payload: GhPayload = Field(default_factory=GhPayload)


class WebhookOutcome(BaseModel):
    """What became of a webhook event. ATSs retry only on non-2xx, so a permanent "ignored" or
    "refused" is answered 200 with the reason, and only a transient failure gets a 5xx."""

    event_id: str
    status: Literal["processed", "duplicate", "ignored", "refused"]
    action: str
    reason: str | None = None
    workflow_id: str | None = None


HANDLED = (
    "new_candidate_application",
    "candidate_stage_change",
    "reject_candidate",
    "hire_candidate",
    "interview_completed",
    "interview",
)


def _ids(app: GhApplication) -> tuple[str, str]:
    return str(app.jobs[0].id), str(app.candidate.id)


async def apply_event(client: HeardbackClient, ev: GhEvent, event_id: str) -> WebhookOutcome:
    """Map one event to a command. Refusals come back as outcomes; transient errors raise."""

    def outcome(status: Any, reason: str | None = None, wf: str | None = None) -> WebhookOutcome:
        return WebhookOutcome(
            event_id=event_id, status=status, action=ev.action, reason=reason, workflow_id=wf
        )

    if ev.action not in HANDLED:
        return outcome("ignored", f"action {ev.action!r} is not one heardback acts on")
    app = ev.payload.application
    if app is None:
        return outcome("refused", "payload.application is required for this action")
    role_id, candidate_id = _ids(app)
    request_id = f"ats-{event_id}"
    try:
        if ev.action == "new_candidate_application":
            c = app.candidate
            name = " ".join(x for x in (c.first_name, c.last_name) if x) or "there"
            if not c.email_addresses:
                return outcome("refused", "the candidate has no email address")
            wf = await client.add_candidate(
                role_id,
                Candidate(id=candidate_id, name=name, email=c.email_addresses[0].value),
            )
            return outcome("processed", wf=wf)
        wf_id = contract.candidacy_workflow_id(role_id, candidate_id)
        if ev.action == "candidate_stage_change":
            if app.current_stage is None:
                return outcome("refused", "payload.application.current_stage is required")
            st = await client.status(role_id, candidate_id)
            if st.stage == app.current_stage.name:
                return outcome("ignored", "the candidacy is already at that stage", wf_id)
            await client.decide(
                role_id,
                candidate_id,
                Decide(outcome="advance", next_stage=app.current_stage.name),
                request_id=request_id,
            )
        elif ev.action == "reject_candidate":
            await client.decide(
                role_id, candidate_id, Decide(outcome="reject"), request_id=request_id
            )
        elif ev.action == "hire_candidate":
            await client.decide(
                role_id, candidate_id, Decide(outcome="offer"), request_id=request_id
            )
        else:  # an interview
            iv = ev.payload.interview
            if iv is None:
                return outcome("refused", "payload.interview is required")
            if iv.status.lower() not in ("complete", "completed"):
                return outcome("ignored", f"interview status {iv.status!r} is not complete")
            await client.record_interview(
                role_id,
                candidate_id,
                InterviewCompleted(
                    interview_id=str(iv.id),
                    stage=iv.stage or iv.interview_name or "interview",
                    interviewer_email=iv.interviewer.email,
                    duration=timedelta(minutes=iv.duration_minutes),
                    feedback=iv.candidate_feedback,
                ),
            )
        return outcome("processed", wf=wf_id)
    except NotFound as err:
        return outcome("ignored", f"{err.reason} (not started in heardback)")
    except (Refused, InvalidInput) as err:
        return outcome("refused", err.reason, contract.candidacy_workflow_id(role_id, candidate_id))
    except ValidationError as err:
        wf = contract.candidacy_workflow_id(role_id, candidate_id)
        return outcome("refused", describe_errors(err), wf)
