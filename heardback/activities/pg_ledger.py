"""The delivery ledger on PostgreSQL, shared by every worker replica.

Same contract as :class:`activities.ledger.SqliteLedger` (see that module for the states), with
the database's clock for claims and leases, so replicas with drifting clocks agree: a message is
claimed by one attempt at a time across all replicas, and a retry on any replica sees a delivery
recorded by another.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from psycopg import Connection
from psycopg_pool import ConnectionPool

from heardback.activities.ledger import DEFAULT_LEASE_SECONDS, LedgerEntry
from heardback.workflows.errors import LedgerBusy

SCHEMA = """
CREATE TABLE IF NOT EXISTS heardback_deliveries (
    message_id   TEXT PRIMARY KEY,
    workflow_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'delivered')),
    attempts     INTEGER NOT NULL DEFAULT 1,
    claimed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ,
    erase_after  TIMESTAMPTZ  -- when a finished candidacy's rows may go (retention)
);
CREATE INDEX IF NOT EXISTS heardback_deliveries_by_workflow
    ON heardback_deliveries (workflow_id);
CREATE TABLE IF NOT EXISTS heardback_once_per (
    key    TEXT PRIMARY KEY,  -- a digest, never an address
    owner  TEXT NOT NULL,
    until  TIMESTAMPTZ NOT NULL
);
"""


class PostgresLedger:
    def __init__(
        self, dsn: str, *, lease_seconds: float = DEFAULT_LEASE_SECONDS, pool_size: int = 8
    ) -> None:
        self._lease = lease_seconds
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=True,
            name="heardback-ledger",
        )
        with self._pool.connection() as db:
            # Serialise concurrent first starts of several replicas on the schema.
            db.execute("SELECT pg_advisory_lock(7424242)")
            try:
                db.execute(SCHEMA)
            finally:
                db.execute("SELECT pg_advisory_unlock(7424242)")

    def close(self) -> None:
        self._pool.close()

    # -- the Ledger protocol --

    async def get(self, message_id: str) -> LedgerEntry | None:
        return await asyncio.to_thread(self._get, message_id)

    async def claim(
        self, message_id: str, *, workflow_id: str, kind: str, erase_after: datetime | None = None
    ) -> LedgerEntry:
        return await asyncio.to_thread(self._claim, message_id, workflow_id, kind, erase_after)

    async def mark_delivered(self, message_id: str) -> None:
        await asyncio.to_thread(self.mark_delivered_now, message_id)

    def mark_delivered_now(self, message_id: str) -> None:
        with self._pool.connection() as db:
            db.execute(
                "UPDATE heardback_deliveries SET status = 'delivered', delivered_at = now() "
                "WHERE message_id = %s AND status = 'sending'",
                (message_id,),
            )

    async def forget(self, workflow_id: str) -> int:
        return await asyncio.to_thread(self._forget, workflow_id)

    async def release(self, message_id: str) -> None:
        await asyncio.to_thread(self._release, message_id)

    def _release(self, message_id: str) -> None:
        with self._pool.connection() as db:
            db.execute(
                "UPDATE heardback_deliveries SET claimed_at = 'epoch' "
                "WHERE message_id = %s AND status = 'sending'",
                (message_id,),
            )

    # -- blocking parts --

    def _get(self, message_id: str, db: Connection | None = None) -> LedgerEntry | None:
        if db is None:
            with self._pool.connection() as conn:
                return self._get(message_id, conn)
        row = db.execute(
            "SELECT status, attempts, delivered_at FROM heardback_deliveries WHERE message_id = %s",
            (message_id,),
        ).fetchone()
        if row is None:
            return None
        delivered: datetime | None = row[2]
        return LedgerEntry(message_id, row[0], int(row[1]), delivered)

    def _claim(
        self, message_id: str, workflow_id: str, kind: str, erase_after: datetime | None
    ) -> LedgerEntry:
        with self._pool.connection() as db:
            taken = db.execute(
                "INSERT INTO heardback_deliveries "
                "(message_id, workflow_id, kind, status, erase_after) "
                "VALUES (%s, %s, %s, 'sending', %s) "
                "ON CONFLICT (message_id) DO UPDATE "
                "SET attempts = heardback_deliveries.attempts + 1, claimed_at = now() "
                "WHERE heardback_deliveries.status = 'sending' "
                "AND heardback_deliveries.claimed_at <= now() - make_interval(secs => %s) "
                "RETURNING attempts",
                (message_id, workflow_id, kind, erase_after, self._lease),
            ).fetchone()
            entry = self._get(message_id, db)
        assert entry is not None
        if taken is None and entry.status == "sending":
            raise LedgerBusy(f"another attempt is delivering {message_id}")
        return entry

    async def once_per(self, key: str, *, owner: str, period: timedelta) -> bool:
        return await asyncio.to_thread(self._once_per, key, owner, period)

    def _once_per(self, key: str, owner: str, period: timedelta) -> bool:
        with self._pool.connection() as db:
            row = db.execute(
                "INSERT INTO heardback_once_per (key, owner, until) VALUES (%s, %s, now() + %s) "
                "ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, until = excluded.until "
                "WHERE heardback_once_per.until <= now() "
                "OR heardback_once_per.owner = excluded.owner "
                "RETURNING owner",
                (key, owner, period),
            ).fetchone()
        return row is not None

    async def due_for_erasure(self, now: datetime, limit: int) -> list[str]:
        return await asyncio.to_thread(self._due, now, limit)

    def _due(self, now: datetime, limit: int) -> list[str]:
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT workflow_id FROM heardback_deliveries GROUP BY workflow_id "
                "HAVING MAX(erase_after) <= %s ORDER BY MAX(erase_after) LIMIT %s",
                (now, limit),
            ).fetchall()
        return [row[0] for row in rows]

    def _forget(self, workflow_id: str) -> int:
        with self._pool.connection() as db:
            cur = db.execute(
                "DELETE FROM heardback_deliveries WHERE workflow_id = %s", (workflow_id,)
            )
            return cur.rowcount
