"""The delivery ledger, SQLite and PostgreSQL (a real server on loopback): the same contract, and
several workers racing to deliver the same message send it once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from heardback.activities.delivery import DeliveryActivities
from heardback.activities.ledger import Ledger, SqliteLedger
from heardback.activities.pg_ledger import PostgresLedger
from heardback.activities.render import Renderer
from heardback.activities.transport import OnAccepted
from heardback.workflows.errors import LedgerBusy
from heardback.workflows.models import DeliveryRequest, MessageContent, OutgoingMessage

MakeLedger = Callable[..., Ledger]


class CountingTransport:
    """Counts hand-overs; slow enough that racing attempts overlap."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(
        self, message_id: str, msg: Message, on_accepted: OnAccepted | None = None
    ) -> None:
        await asyncio.sleep(0.05)
        self.sent.append(message_id)
        if on_accepted is not None:
            on_accepted()

    async def already_sent(self, message_id: str) -> bool:
        return False  # like SMTP: cannot be asked

    async def erase(self, workflow_id: str) -> int:
        return 0


@pytest.fixture(params=["sqlite", "postgres"])
async def make_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeLedger]:
    made: list[PostgresLedger] = []

    def make(lease: float = 30.0) -> Ledger:
        if request.param == "sqlite":
            return SqliteLedger(tmp_path / "ledger.sqlite3", lease_seconds=lease)
        dsn = request.getfixturevalue("postgres_dsn")
        ledger = PostgresLedger(dsn, lease_seconds=lease)
        made.append(ledger)
        return ledger

    yield make
    for ledger in made:
        ledger.close()


def request_for(message_id: str, workflow_id: str) -> DeliveryRequest:
    return DeliveryRequest(
        message=OutgoingMessage(
            message_id=message_id,
            kind="offer",
            recipient="candidate",
            to_email="ada@example.org",
            content=MessageContent(
                candidate_name="Ada", role_title="Engineer", company="Acme", stage="onsite"
            ),
            queued_at=datetime(2026, 11, 26, 9, tzinfo=UTC),
        ),
        workflow_id=workflow_id,
        thread_root_id=f"{workflow_id}.000.acknowledgement",
        reply_to="hiring@acme.example",
    )


async def test_claims_deliveries_and_leases(make_ledger: MakeLedger) -> None:
    ledger = make_ledger(lease=0.5)
    wf = f"candidacy-r-{uuid.uuid4().hex[:6]}-c"
    mid = f"{wf}.000.acknowledgement"
    assert await ledger.get(mid) is None
    first = await ledger.claim(mid, workflow_id=wf, kind="acknowledgement")
    assert (first.status, first.attempts) == ("sending", 1)
    with pytest.raises(LedgerBusy):  # a second attempt while the first holds the claim
        await ledger.claim(mid, workflow_id=wf, kind="acknowledgement")
    await asyncio.sleep(0.6)  # the first attempt died: its claim lapses
    second = await ledger.claim(mid, workflow_id=wf, kind="acknowledgement")
    assert (second.status, second.attempts) == ("sending", 2)
    await ledger.release(mid)  # the transport failed: a retry may claim at once
    third = await ledger.claim(mid, workflow_id=wf, kind="acknowledgement")
    assert third.attempts == 3
    ledger.mark_delivered_now(mid)
    done = await ledger.get(mid)
    assert done is not None and done.status == "delivered" and done.delivered_at is not None
    again = await ledger.claim(mid, workflow_id=wf, kind="acknowledgement")
    assert again.status == "delivered"  # the caller skips the send
    assert await ledger.forget(wf) == 1
    assert await ledger.get(mid) is None


async def test_workers_racing_to_deliver_one_message_send_it_once(
    make_ledger: MakeLedger,
) -> None:
    """Three replicas (each its own ledger connection, one shared store) get the same delivery at
    once, as when a timed-out attempt is still running while its retry starts elsewhere."""
    transport = CountingTransport()
    renderer = Renderer(mail_from="hiring@heardback.localhost", message_id_domain="hb.test")
    replicas = [
        DeliveryActivities(transport=transport, ledger=make_ledger(), renderer=renderer)
        for _ in range(3)
    ]
    wf = f"candidacy-r-{uuid.uuid4().hex[:6]}-c"
    req = request_for(f"{wf}.001.offer", wf)

    outcomes = await asyncio.gather(*(r.deliver(req) for r in replicas), return_exceptions=True)
    busy = [o for o in outcomes if isinstance(o, ApplicationError)]
    sent = [o for o in outcomes if not isinstance(o, BaseException)]
    assert transport.sent == [req.message.message_id]
    assert len(sent) == 1 and not sent[0].duplicate
    assert len(busy) == 2 and all(b.type == "DeliveryBusy" and not b.non_retryable for b in busy)
    # Their retries find the delivery recorded, and send nothing.
    retried = await asyncio.gather(*(r.deliver(req) for r in replicas[1:]))
    assert all(r.duplicate for r in retried)
    assert transport.sent == [req.message.message_id]


async def test_a_candidacy_is_due_for_erasure_when_its_latest_row_is(
    make_ledger: MakeLedger,
) -> None:
    ledger = make_ledger()
    tag = uuid.uuid4().hex[:6]
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    done, busy = (f"candidacy-r-{tag}-{c}" for c in ("done", "busy"))
    await ledger.claim(f"{done}.000.ack", workflow_id=done, kind="ack", erase_after=t0)
    await ledger.claim(
        f"{done}.001.offer", workflow_id=done, kind="offer", erase_after=t0 + timedelta(days=2)
    )
    await ledger.claim(
        f"{busy}.000.ack", workflow_id=busy, kind="ack", erase_after=t0 + timedelta(days=10)
    )

    async def due(days: int) -> list[str]:
        ids = await ledger.due_for_erasure(t0 + timedelta(days=days), 10_000)
        return [w for w in ids if tag in w]

    assert await due(1) == []  # the candidacy's latest row is not due yet
    assert await due(3) == [done]
    assert await due(11) == [done, busy]  # the longest due first
    assert await ledger.forget(done) == 2
    assert await due(11) == [busy]


async def test_one_survey_per_address_per_cooldown_across_workers(make_ledger: MakeLedger) -> None:
    """Two workers (two ledger handles on one database) agree: the first survey to an address
    holds it for the cooldown, its own retry still may send, another candidacy's may not."""
    first, second = make_ledger(), make_ledger()
    key = f"survey:{uuid.uuid4().hex}"
    period = timedelta(seconds=0.5)
    assert await first.once_per(key, owner="candidacy-r1-c.004.survey", period=period)
    assert await second.once_per(key, owner="candidacy-r1-c.004.survey", period=period)  # retry
    assert not await second.once_per(key, owner="candidacy-r2-c.005.survey", period=period)
    await asyncio.sleep(0.6)  # the cooldown ran out
    assert await second.once_per(key, owner="candidacy-r2-c.005.survey", period=period)
    assert not await first.once_per(key, owner="candidacy-r1-c.004.survey", period=period)
