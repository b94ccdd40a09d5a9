"""Envelope encryption: one data key per data subject, wrapped by the master key.

Every payload heardback writes to Temporal is sealed with the data key of the subject it belongs
to: a candidacy's own history (its input, signals, updates, activity inputs and results, the
state it carries through continue-as-new) under that candidacy's key; a Role's payload that
carries one candidate (the `add_candidate` update) under that candidate's candidacy key; the rest
of a workflow's payloads under that workflow's key; payloads that arrive without a workflow (the
codec server's /encode) under the candidacy key when they are a candidacy's start input, else
under a shared key.

Data keys are random AES-256 keys, stored only wrapped (AES-GCM under a master key, through the
small `KeyWrapper` interface a key management service can sit behind) in a table next to the
delivery ledger. Erasing a candidate destroys its data keys: every payload sealed with them, in
any history, backup or archive, is then unreadable by anyone ("crypto-shredding"), while the rest
of those histories still decodes and replays. Rotating the master key re-wraps the data keys;
the histories are not touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg_pool import ConnectionPool

from heardback.workflows import contract
from heardback.workflows.errors import EncryptionKeyError

NONCE_BYTES = 12
SHARED_SUBJECT = "shared"
# How long a process trusts a data key it has read: an erasure made by another process is
# honoured by this one within this time (the process that erases forgets the key at once).
CACHE_SECONDS = 30.0


class KeyErased(EncryptionKeyError):
    """The data key was destroyed: its payloads are unreadable, on purpose."""

    def __init__(self, message: str, subject: str) -> None:
        super().__init__(message)
        self.subject = subject


# --- the master key: wraps and unwraps data keys ------------------------------------------------


class KeyWrapper(Protocol):
    """What a key management service must offer heardback: wrap a data key under its active
    master key, unwrap one under any master key it still holds. `aad` binds a wrapped key to its
    id, so a wrapped key cannot be passed off as another's."""

    @property
    def active_id(self) -> str: ...

    def wrap(self, dek: bytes, aad: bytes) -> tuple[str, bytes]: ...

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes: ...


class LocalKeyWrapper:
    """Master keys from the settings or the local key file (``id:base64,...``; the first, or
    `active`, wraps new data keys; every listed key still unwraps)."""

    def __init__(self, keys: dict[str, bytes], active: str | None = None) -> None:
        if not keys:
            raise EncryptionKeyError("no encryption keys given")
        self._active = active or next(iter(keys))
        if self._active not in keys:
            raise EncryptionKeyError(f"active key id {self._active!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    @property
    def active_id(self) -> str:
        return self._active

    def wrap(self, dek: bytes, aad: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return self._active, nonce + self._ciphers[self._active].encrypt(nonce, dek, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        cipher = self._ciphers.get(kek_id)
        if cipher is None:
            raise EncryptionKeyError(f"data key wrapped by master key {kek_id!r}, not configured")
        try:
            return cipher.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except InvalidTag as err:
            raise EncryptionKeyError(f"data key under {kek_id!r} failed authentication") from err


# --- where wrapped data keys live ---------------------------------------------------------------


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    subject: str
    kek_id: str | None  # None once destroyed
    wrapped: bytes | None


class DataKeyTable(Protocol):
    def newest(self, subject: str) -> StoredKey | None: ...
    def get(self, key_id: str) -> StoredKey | None: ...
    def insert(self, key: StoredKey) -> None: ...
    def destroy(self, subject: str) -> int: ...
    def live(self) -> list[StoredKey]: ...
    def rewrap(self, key_id: str, kek_id: str, wrapped: bytes) -> None: ...


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SqliteDataKeys:
    """The embedded default, a file beside the delivery ledger. `secure_delete` overwrites a
    destroyed key's bytes in the file rather than leaving them in a free page."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS data_keys (
        key_id       TEXT PRIMARY KEY,
        subject      TEXT NOT NULL,
        kek_id       TEXT,
        wrapped      BLOB,
        created_at   TEXT NOT NULL,
        destroyed_at TEXT
    );
    CREATE INDEX IF NOT EXISTS data_keys_by_subject ON data_keys (subject, created_at);
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._db() as db:
            db.executescript(self.SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA secure_delete = ON")
            yield db
        finally:
            db.close()

    @staticmethod
    def _row(row: tuple[str, str, str | None, bytes | None] | None) -> StoredKey | None:
        return None if row is None else StoredKey(*row)

    def newest(self, subject: str) -> StoredKey | None:
        with self._lock, self._db() as db:
            return self._row(
                db.execute(
                    "SELECT key_id, subject, kek_id, wrapped FROM data_keys WHERE subject = ? "
                    "AND wrapped IS NOT NULL ORDER BY created_at DESC, key_id LIMIT 1",
                    (subject,),
                ).fetchone()
            )

    def get(self, key_id: str) -> StoredKey | None:
        with self._lock, self._db() as db:
            return self._row(
                db.execute(
                    "SELECT key_id, subject, kek_id, wrapped FROM data_keys WHERE key_id = ?",
                    (key_id,),
                ).fetchone()
            )

    def insert(self, key: StoredKey) -> None:
        with self._lock, self._db() as db:
            db.execute(
                "INSERT INTO data_keys (key_id, subject, kek_id, wrapped, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (key.key_id, key.subject, key.kek_id, key.wrapped, _now()),
            )

    def destroy(self, subject: str) -> int:
        with self._lock, self._db() as db:
            return db.execute(
                "UPDATE data_keys SET wrapped = NULL, kek_id = NULL, destroyed_at = ? "
                "WHERE subject = ? AND wrapped IS NOT NULL",
                (_now(), subject),
            ).rowcount

    def live(self) -> list[StoredKey]:
        with self._lock, self._db() as db:
            rows = db.execute(
                "SELECT key_id, subject, kek_id, wrapped FROM data_keys WHERE wrapped IS NOT NULL"
            ).fetchall()
        return [StoredKey(*row) for row in rows]

    def rewrap(self, key_id: str, kek_id: str, wrapped: bytes) -> None:
        with self._lock, self._db() as db:
            db.execute(
                "UPDATE data_keys SET kek_id = ?, wrapped = ? WHERE key_id = ? "
                "AND wrapped IS NOT NULL",
                (kek_id, wrapped, key_id),
            )


class PostgresDataKeys:
    """Shared by every replica, in the ledger's database. A destroyed key's row is vacuumed at
    once, so its old version does not linger as a dead tuple."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS heardback_data_keys (
        key_id       TEXT PRIMARY KEY,
        subject      TEXT NOT NULL,
        kek_id       TEXT,
        wrapped      BYTEA,
        created_at   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        destroyed_at TIMESTAMPTZ
    );
    CREATE INDEX IF NOT EXISTS heardback_data_keys_by_subject
        ON heardback_data_keys (subject, created_at);
    """

    def __init__(self, dsn: str) -> None:
        self._pool = ConnectionPool(
            dsn, min_size=1, max_size=4, kwargs={"autocommit": True}, open=True, name="data-keys"
        )
        with self._pool.connection() as db:
            db.execute("SELECT pg_advisory_lock(7424243)")
            try:
                db.execute(self.SCHEMA)
            finally:
                db.execute("SELECT pg_advisory_unlock(7424243)")

    def _one(self, sql: str, args: tuple[object, ...]) -> StoredKey | None:
        with self._pool.connection() as db:
            row = db.execute(sql, args).fetchone()
        return None if row is None else StoredKey(row[0], row[1], row[2], _bytes(row[3]))

    def newest(self, subject: str) -> StoredKey | None:
        return self._one(
            "SELECT key_id, subject, kek_id, wrapped FROM heardback_data_keys WHERE subject = %s "
            "AND wrapped IS NOT NULL ORDER BY created_at DESC, key_id LIMIT 1",
            (subject,),
        )

    def get(self, key_id: str) -> StoredKey | None:
        return self._one(
            "SELECT key_id, subject, kek_id, wrapped FROM heardback_data_keys WHERE key_id = %s",
            (key_id,),
        )

    def insert(self, key: StoredKey) -> None:
        with self._pool.connection() as db:
            db.execute(
                "INSERT INTO heardback_data_keys (key_id, subject, kek_id, wrapped) "
                "VALUES (%s, %s, %s, %s)",
                (key.key_id, key.subject, key.kek_id, key.wrapped),
            )

    def destroy(self, subject: str) -> int:
        with self._pool.connection() as db:
            n = db.execute(
                "UPDATE heardback_data_keys SET wrapped = NULL, kek_id = NULL, "
                "destroyed_at = now() WHERE subject = %s AND wrapped IS NOT NULL",
                (subject,),
            ).rowcount
            if n:
                db.execute("VACUUM heardback_data_keys")
        return n

    def live(self) -> list[StoredKey]:
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT key_id, subject, kek_id, wrapped FROM heardback_data_keys "
                "WHERE wrapped IS NOT NULL"
            ).fetchall()
        return [StoredKey(r[0], r[1], r[2], _bytes(r[3])) for r in rows]

    def rewrap(self, key_id: str, kek_id: str, wrapped: bytes) -> None:
        with self._pool.connection() as db:
            db.execute(
                "UPDATE heardback_data_keys SET kek_id = %s, wrapped = %s WHERE key_id = %s "
                "AND wrapped IS NOT NULL",
                (kek_id, wrapped, key_id),
            )

    def close(self) -> None:
        self._pool.close()


def _bytes(value: bytes | memoryview | None) -> bytes | None:
    return None if value is None else bytes(value)


# --- data keys by subject, cached ---------------------------------------------------------------


class DataKeys:
    """Data keys by subject (to seal) and by id (to open), unwrapped once and kept for
    `CACHE_SECONDS`. Thread-safe; the table is only read on a miss."""

    def __init__(
        self, table: DataKeyTable, wrapper: KeyWrapper, *, cache_seconds: float = CACHE_SECONDS
    ) -> None:
        self.table = table
        self.wrapper = wrapper
        self._ttl = cache_seconds
        self._lock = threading.Lock()
        self._by_subject: dict[str, tuple[str, AESGCM, float]] = {}
        self._by_id: dict[str, tuple[AESGCM, float]] = {}

    def _unwrap(self, key: StoredKey) -> AESGCM:
        assert key.kek_id is not None
        assert key.wrapped is not None
        return AESGCM(self.wrapper.unwrap(key.kek_id, key.wrapped, key.key_id.encode()))

    def cached(self, subject: str) -> tuple[str, AESGCM] | None:
        """The subject's sealing key if this process holds it (no I/O)."""
        with self._lock:
            hit = self._by_subject.get(subject)
        return (hit[0], hit[1]) if hit is not None and hit[2] > time.monotonic() else None

    def cached_id(self, key_id: str) -> AESGCM | None:
        with self._lock:
            hit = self._by_id.get(key_id)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def for_subject(self, subject: str) -> tuple[str, AESGCM]:
        """The key that seals the subject's new payloads (created on first use)."""
        now = time.monotonic()
        with self._lock:
            hit = self._by_subject.get(subject)
            if hit is not None and hit[2] > now:
                return hit[0], hit[1]
        stored = self.table.newest(subject)
        if stored is None:
            key_id = f"d-{uuid.uuid4().hex}"
            dek = AESGCM.generate_key(bit_length=256)
            kek_id, wrapped = self.wrapper.wrap(dek, key_id.encode())
            self.table.insert(StoredKey(key_id, subject, kek_id, wrapped))
            cipher = AESGCM(dek)
        else:
            key_id, cipher = stored.key_id, self._unwrap(stored)
        with self._lock:
            self._by_subject[subject] = (key_id, cipher, now + self._ttl)
            self._by_id[key_id] = (cipher, now + self._ttl)
        return key_id, cipher

    def by_id(self, key_id: str) -> AESGCM:
        """The key that opens a payload; KeyErased when it was destroyed."""
        now = time.monotonic()
        with self._lock:
            hit = self._by_id.get(key_id)
            if hit is not None and hit[1] > now:
                return hit[0]
        stored = self.table.get(key_id)
        if stored is None:
            raise EncryptionKeyError(f"data key {key_id!r} is not in this key store")
        if stored.wrapped is None:
            raise KeyErased(
                f"data key {key_id!r} was destroyed (its subject was erased)", stored.subject
            )
        cipher = self._unwrap(stored)
        with self._lock:
            self._by_id[key_id] = (cipher, now + self._ttl)
        return cipher

    def destroy(self, subject: str) -> int:
        """Destroy every data key of the subject: its payloads can never be read again."""
        n = self.table.destroy(subject)
        with self._lock:
            self._by_subject.pop(subject, None)
            # The ids of that subject's keys are not known here without a read; drop them all.
            self._by_id.clear()
        return n

    def rewrap(self) -> int:
        """Re-wrap every live data key under the active master key (after adding a new master
        key in front): histories stay as they are; the old master key can then be removed."""
        n = 0
        for key in self.table.live():
            if key.kek_id == self.wrapper.active_id:
                continue
            assert key.kek_id is not None
            assert key.wrapped is not None
            dek = self.wrapper.unwrap(key.kek_id, key.wrapped, key.key_id.encode())
            kek_id, wrapped = self.wrapper.wrap(dek, key.key_id.encode())
            self.table.rewrap(key.key_id, kek_id, wrapped)
            n += 1
        return n


# --- whose data a payload is --------------------------------------------------------------------

CANDIDACY_PREFIX = contract.candidacy_workflow_id("", "")[: -len("-")]  # "candidacy-"
ROLE_PREFIX = contract.role_workflow_id("")  # "role-"


def subject_of(workflow_id: str | None, data: bytes, encoding: bytes) -> str:
    """The data subject a payload is sealed for (see the module docstring). Only a Role's
    payloads and context-free ones are looked into, and only when they name a candidate."""
    if workflow_id and workflow_id.startswith(CANDIDACY_PREFIX):
        return workflow_id
    if workflow_id and workflow_id.startswith(contract.EVENT_WORKFLOW_PREFIX):
        # Events out carry ids and heardback's own words, and outlive an erasure (a tenant
        # hears "candidacy.finished: erased"): the shared key, not a key per event; except an
        # event named "<type>:<candidacy workflow id>/<key>" (its text may quote the candidate):
        # that candidacy's key (heardback.runtime.events.make_event).
        _, _, key = workflow_id[len(contract.EVENT_WORKFLOW_PREFIX) :].partition(":")
        owner, slash, _ = key.partition("/")
        return owner if slash and owner.startswith(CANDIDACY_PREFIX) else SHARED_SUBJECT
    if encoding == b"json/plain" and b'"candidate":' in data:
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        found = _candidacy_named(value, workflow_id)
        if found is not None:
            return found
    return workflow_id or SHARED_SUBJECT


def _candidacy_named(value: object, workflow_id: str | None) -> str | None:
    if not isinstance(value, dict):
        return None
    inner = value.get("input")
    if isinstance(inner, dict):  # the Role's start-candidacy activity input
        value = inner
    candidate, role = value.get("candidate"), value.get("role")
    if not isinstance(candidate, dict) or not isinstance(candidate.get("id"), str):
        return None
    if isinstance(role, dict) and isinstance(role.get("id"), str):
        role_id: str = role["id"]
    elif workflow_id and workflow_id.startswith(ROLE_PREFIX):
        role_id = workflow_id[len(ROLE_PREFIX) :]
    else:
        return None
    return contract.candidacy_workflow_id(role_id, candidate["id"])
