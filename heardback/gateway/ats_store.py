"""What the gateway keeps of provider webhooks (SQLite beside the webhook dedupe table):

- every event received, by the digest of its signed body (so a replay acts once), with what
  became of it (`processed`, `ignored`, `refused`, `failed`) and why: the operator's list;
- for a `failed` event (our processing could not use it), its body, sealed by the payload codec
  when encryption is on, so an operator can retry it once the cause is fixed; likewise for a
  `queued` one (handed to its AtsEvent workflow, which reads the provider's API), until it is
  done: a processed event's body is not kept;
- per application, the provider time of the latest event applied (so an older one is not), and
  the stages it was at in the ATS (so a move back is not announced as progress);
- which candidacies belong to a provider's candidate (to erase them when the provider deletes or
  anonymises the person; ids only).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

Status = Literal["processed", "ignored", "refused", "failed", "in_progress", "queued"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS ats_events (
    event_key   TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    action      TEXT NOT NULL,
    header_id   TEXT,
    received_at REAL NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    body        BLOB
);
CREATE INDEX IF NOT EXISTS ats_events_by_status ON ats_events (status, received_at);
CREATE TABLE IF NOT EXISTS ats_order (
    application TEXT PRIMARY KEY,
    occurred_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ats_stages (
    application TEXT NOT NULL,
    stage       TEXT NOT NULL,
    PRIMARY KEY (application, stage)
);
CREATE TABLE IF NOT EXISTS ats_links (
    provider           TEXT NOT NULL,
    external_candidate TEXT NOT NULL,
    role_id            TEXT NOT NULL,
    candidate_id       TEXT NOT NULL,
    PRIMARY KEY (provider, external_candidate, role_id, candidate_id)
);
CREATE INDEX IF NOT EXISTS ats_links_by_candidacy ON ats_links (provider, candidate_id);
"""


@dataclass(frozen=True)
class EventRecord:
    event_key: str
    provider: str
    action: str
    header_id: str | None
    received_at: float
    status: str
    reason: str | None
    has_body: bool


def _record(r: tuple[Any, ...]) -> EventRecord:
    return EventRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))


class AtsStore:
    STALE_CLAIM_SECONDS = 300

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(SCHEMA)

    def claim(
        self, key: str, provider: str, action: str, header_id: str | None
    ) -> EventRecord | None:
        """Claim a new event; the earlier record when it was seen before (None: go ahead)."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._row(key)
                if row is not None and not (
                    row.status == "in_progress" and now - row.received_at > self.STALE_CLAIM_SECONDS
                ):
                    return row
                self._db.execute(
                    "INSERT OR REPLACE INTO ats_events (event_key, provider, action, header_id, "
                    "received_at, status) VALUES (?, ?, ?, ?, ?, 'in_progress')",
                    (key, provider, action, header_id, now),
                )
            finally:
                self._db.execute("COMMIT")
        return None

    def _row(self, key: str) -> EventRecord | None:
        row = self._db.execute(
            "SELECT event_key, provider, action, header_id, received_at, status, reason, "
            "body IS NOT NULL FROM ats_events WHERE event_key = ?",
            (key,),
        ).fetchone()
        return None if row is None else _record(row)

    def finish(
        self, key: str, status: Status, reason: str | None, body: bytes | None = None
    ) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE ats_events SET status = ?, reason = ?, body = ? WHERE event_key = ?",
                (status, reason, body, key),
            )

    def queue(self, key: str, body: bytes) -> None:
        """Keep a claimed event's (sealed) body while its workflow handles it."""
        with self._lock:
            self._db.execute(
                "UPDATE ats_events SET status = 'queued', body = ? WHERE event_key = ?", (body, key)
            )

    def dead_letter(self, key: str, reason: str) -> None:
        """The event's workflow gave up: keep its body for an operator, with the reason."""
        with self._lock:
            self._db.execute(
                "UPDATE ats_events SET status = 'failed', reason = ? WHERE event_key = ?",
                (reason, key),
            )

    def requeue(self, key: str) -> bool:
        """An operator retries a dead letter of an API-backed provider: queued again."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE ats_events SET status = 'queued', reason = NULL "
                "WHERE event_key = ? AND status = 'failed' AND body IS NOT NULL",
                (key,),
            )
        return cur.rowcount == 1

    def release(self, key: str) -> None:
        """Forget a claim whose processing hit a transient error: the provider's retry runs."""
        with self._lock:
            self._db.execute(
                "DELETE FROM ats_events WHERE event_key = ? "
                "AND status IN ('in_progress', 'queued')",
                (key,),
            )

    def body(self, key: str) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM ats_events WHERE event_key = ?", (key,)
            ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def forget(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM ats_events WHERE event_key = ?", (key,))

    def events(
        self, status: str | None = None, limit: int = 100, provider_prefix: str | None = None
    ) -> list[EventRecord]:
        """The newest events; only those whose provider starts with `provider_prefix` (a
        tenant's, `acme/`) when given."""
        with self._lock:
            rows = self._db.execute(
                "SELECT event_key, provider, action, header_id, received_at, status, reason, "
                "body IS NOT NULL FROM ats_events WHERE (? IS NULL OR status = ?) "
                "AND (? IS NULL OR substr(provider, 1, length(?)) = ?) "
                "ORDER BY received_at DESC LIMIT ?",
                (status, status, provider_prefix, provider_prefix, provider_prefix, limit),
            ).fetchall()
        return [_record(r) for r in rows]

    # --- order --------------------------------------------------------------------------------

    def newer_applied(self, application: str, occurred_at: datetime) -> datetime | None:
        """The time of a later event already applied for this application, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT occurred_at FROM ats_order WHERE application = ?", (application,)
            ).fetchone()
        if row is None:
            return None
        latest = datetime.fromisoformat(row[0])
        return latest if latest > occurred_at else None

    def applied(self, application: str, occurred_at: datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO ats_order (application, occurred_at) VALUES (?, ?) "
                "ON CONFLICT (application) DO UPDATE SET occurred_at = excluded.occurred_at "
                "WHERE excluded.occurred_at > ats_order.occurred_at",
                (application, occurred_at.isoformat()),
            )

    def visited(self, application: str, stage: str) -> None:
        """The application was at this stage in the ATS (at application, or moved there)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO ats_stages VALUES (?, ?)", (application, stage))

    def was_at(self, application: str, stage: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM ats_stages WHERE application = ? AND stage = ?",
                (application, stage),
            ).fetchone()
        return row is not None

    # --- candidates -> candidacies ----------------------------------------------------------------

    def link(self, provider: str, external_candidate: str, role_id: str, candidate_id: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO ats_links VALUES (?, ?, ?, ?)",
                (provider, external_candidate, role_id, candidate_id),
            )

    def candidacies_of(self, provider: str, external_candidate: str) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT role_id, candidate_id FROM ats_links WHERE provider = ? "
                "AND external_candidate = ?",
                (provider, external_candidate),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def candidacy_of_application(self, provider: str, candidate_id: str) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT role_id, candidate_id FROM ats_links WHERE provider = ? "
                "AND candidate_id = ?",
                (provider, candidate_id),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def relink(self, provider: str, gone: str, kept: str) -> None:
        """The provider merged candidate `gone` into `kept`: their candidacies follow."""
        with self._lock:
            self._db.execute(
                "UPDATE OR IGNORE ats_links SET external_candidate = ? WHERE provider = ? "
                "AND external_candidate = ?",
                (kept, provider, gone),
            )
            self._db.execute(
                "DELETE FROM ats_links WHERE provider = ? AND external_candidate = ?",
                (provider, gone),
            )

    def unlink(self, provider: str, role_id: str, candidate_id: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM ats_links WHERE provider = ? AND role_id = ? AND candidate_id = ?",
                (provider, role_id, candidate_id),
            )

    def close(self) -> None:
        self._db.close()
