"""The delivery ledger: which message ids were sent, so a retried activity never sends twice.

A message goes `sending` (claimed, about to hand to the transport) then `delivered`, recorded
the moment the transport reports the message taken (for SMTP: right after the server's 250 to
DATA, before QUIT). A retry that finds `delivered` skips the send. A retry that finds `sending`
means an earlier attempt died between handing the message over and recording it: the transport
decides (the file outbox checks for the file; SMTP cannot be asked, so the time between the
server's 250 and that record, well under a millisecond of our process's time, is the one place a
duplicate can slip through if the worker is killed exactly then).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from heardback.workflows.errors import LedgerBusy

LedgerStatus = Literal["sending", "delivered"]


# An attempt's claim on a message is respected this long (the delivery's start-to-close
# timeout): a second attempt within it, on any worker, waits instead of sending too.
DEFAULT_LEASE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    message_id: str
    status: LedgerStatus
    attempts: int
    delivered_at: datetime | None


class Ledger(Protocol):
    async def get(self, message_id: str) -> LedgerEntry | None: ...

    async def claim(
        self, message_id: str, *, workflow_id: str, kind: str, erase_after: datetime | None = None
    ) -> LedgerEntry:
        """Take the message for this attempt, or raise :class:`LedgerBusy`. `erase_after`: when
        this row (and the candidacy's other rows) may go, once the candidacy has finished."""
        ...

    async def mark_delivered(self, message_id: str) -> None: ...

    def mark_delivered_now(self, message_id: str) -> None:
        """Record the delivery synchronously, from the transport's acceptance callback."""
        ...

    async def forget(self, workflow_id: str) -> int: ...

    async def due_for_erasure(self, now: datetime, limit: int) -> list[str]:
        """Workflow ids whose latest `erase_after` has passed, the longest due first."""
        ...

    async def release(self, message_id: str) -> None:
        """Give up this attempt's claim (the transport refused or failed): a retry may claim."""
        ...

    async def once_per(self, key: str, *, owner: str, period: timedelta) -> bool:
        """Take `key` (e.g. "a survey to this address") for `owner` (a message id) for
        `period`. True when `owner` holds it: a new claim, an expired one, or `owner`'s own
        (a retry); False while another owner's claim runs. Shared by every worker."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    message_id   TEXT PRIMARY KEY,
    workflow_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'delivered')),
    attempts     INTEGER NOT NULL DEFAULT 1,
    claimed_at   TEXT NOT NULL,
    delivered_at TEXT,
    erase_after  TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_by_workflow ON deliveries (workflow_id);
CREATE TABLE IF NOT EXISTS once_per (
    key    TEXT PRIMARY KEY,  -- a digest, never an address
    owner  TEXT NOT NULL,
    until  TEXT NOT NULL
);
"""


def _stamp(at: datetime) -> str:
    """One text form for every time stored, so text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class SqliteLedger:
    """The embedded default: one SQLite file in WAL mode, shared by the worker's activities."""

    def __init__(self, path: Path, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self._path = path
        self._lease = lease_seconds
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection, opened once (opening one per call cost a third of the
        worker's CPU per delivery in the benchmark)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        self._local.db = db
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives the worker being killed (the write is in the OS before the
        # call returns); only a power cut can lose the last commits, not a crash.
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    async def get(self, message_id: str) -> LedgerEntry | None:
        return await asyncio.to_thread(self._get, message_id)

    async def claim(
        self, message_id: str, *, workflow_id: str, kind: str, erase_after: datetime | None = None
    ) -> LedgerEntry:
        return await asyncio.to_thread(self._claim, message_id, workflow_id, kind, erase_after)

    async def mark_delivered(self, message_id: str) -> None:
        await asyncio.to_thread(self._mark_delivered, message_id)

    def _get(self, message_id: str) -> LedgerEntry | None:
        db = self._connect()
        row = db.execute(
            "SELECT status, attempts, delivered_at FROM deliveries WHERE message_id = ?",
            (message_id,),
        ).fetchone()
        if row is None:
            return None
        delivered = datetime.fromisoformat(row[2]) if row[2] else None
        return LedgerEntry(message_id, row[0], int(row[1]), delivered)

    def _claim(
        self, message_id: str, workflow_id: str, kind: str, erase_after: datetime | None
    ) -> LedgerEntry:
        now = datetime.now(UTC)
        stale = (now - timedelta(seconds=self._lease)).isoformat()
        erase = _stamp(erase_after) if erase_after else None
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            taken = db.execute(
                "INSERT INTO deliveries "
                "(message_id, workflow_id, kind, status, claimed_at, erase_after) "
                "VALUES (?, ?, ?, 'sending', ?, ?) "
                "ON CONFLICT (message_id) DO UPDATE SET attempts = attempts + 1, claimed_at = ? "
                "WHERE status = 'sending' AND claimed_at <= ? "
                "RETURNING attempts",
                (message_id, workflow_id, kind, now.isoformat(), erase, now.isoformat(), stale),
            ).fetchone()
        except BaseException:
            db.execute("ROLLBACK")  # the connection is kept: leave it clean
            raise
        db.execute("COMMIT")
        entry = self._get(message_id)
        assert entry is not None
        if taken is None and entry.status == "sending":
            raise LedgerBusy(f"another attempt is delivering {message_id}")
        return entry

    async def release(self, message_id: str) -> None:
        await asyncio.to_thread(self._release, message_id)

    def _release(self, message_id: str) -> None:
        db = self._connect()
        db.execute(
            "UPDATE deliveries SET claimed_at = ? WHERE message_id = ? AND status = 'sending'",
            (datetime.fromtimestamp(0, UTC).isoformat(), message_id),
        )

    async def forget(self, workflow_id: str) -> int:
        """Drop a finished candidacy's rows (retention): no delivery can follow any more."""
        return await asyncio.to_thread(self._forget, workflow_id)

    def _forget(self, workflow_id: str) -> int:
        db = self._connect()
        cur = db.execute("DELETE FROM deliveries WHERE workflow_id = ?", (workflow_id,))
        return cur.rowcount

    async def due_for_erasure(self, now: datetime, limit: int) -> list[str]:
        return await asyncio.to_thread(self._due, now, limit)

    def _due(self, now: datetime, limit: int) -> list[str]:
        rows = self._connect().execute(
            "SELECT workflow_id FROM deliveries GROUP BY workflow_id "
            "HAVING MAX(erase_after) <= ? ORDER BY MAX(erase_after) LIMIT ?",
            (_stamp(now), limit),
        )
        return [row[0] for row in rows]

    async def once_per(self, key: str, *, owner: str, period: timedelta) -> bool:
        return await asyncio.to_thread(self._once_per, key, owner, period)

    def _once_per(self, key: str, owner: str, period: timedelta) -> bool:
        now = datetime.now(UTC)
        row = (
            self._connect()
            .execute(
                "INSERT INTO once_per (key, owner, until) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until = excluded.until "
                "WHERE once_per.until <= ? OR once_per.owner = excluded.owner "
                "RETURNING owner",
                (key, owner, _stamp(now + period), _stamp(now)),
            )
            .fetchone()
        )
        return row is not None

    def mark_delivered_now(self, message_id: str) -> None:
        # A local SQLite write (WAL, synchronous=NORMAL: no fsync) takes well under a
        # millisecond, so it runs inline, before the event loop can do anything else.
        self._mark_delivered(message_id)

    def _mark_delivered(self, message_id: str) -> None:
        now = datetime.now(UTC).isoformat()
        db = self._connect()
        db.execute(
            "UPDATE deliveries SET status = 'delivered', delivered_at = ? "
            "WHERE message_id = ? AND status = 'sending'",
            (now, message_id),
        )
