"""Lever, as Lever documents it: the signature inside the body (HMAC of token + triggeredAt), a
freshness window, a replay acting once, and every documented event answered 2xx (those needing
Lever's API kept as dead letters), through the real gateway."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from heardback.gateway import lever
from tests.pages_stack import PagesStack, pages_stack

FIXTURES = Path(__file__).parent / "fixtures" / "ats" / "lever"
NEW, OLD = "lever-signing-token-new-000000000000", "lever-signing-token-old-000000000000"
TOKEN = "ops-token-" + "l" * 24


def delivery(event: str, *, secret: str = NEW, at: datetime | None = None) -> dict[str, Any]:
    """Lever's documented example delivery, for `event`, signed as Lever signs."""
    body: dict[str, Any] = json.loads((FIXTURES / "candidateStageChange.json").read_text())
    body["event"] = event
    body["token"] = uuid.uuid4().hex + uuid.uuid4().hex[:16]  # 48 random characters
    body["triggeredAt"] = int((at or datetime.now(UTC)).timestamp() * 1000)
    body["signature"] = lever.sign(secret, body["token"], body["triggeredAt"])
    return body


def test_the_documented_example_verifies_under_its_scheme() -> None:
    body = delivery("candidateStageChange", secret=OLD)
    raw = json.dumps(body).encode()
    assert (
        lever.verify([NEW, OLD], raw, max_age=timedelta(days=1))["event"] == "candidateStageChange"
    )
    with pytest.raises(lever.Refused, match="signature"):
        lever.verify([NEW], raw, max_age=timedelta(days=1))  # the old token removed
    stale = json.dumps(delivery("candidateHired", at=datetime.now(UTC) - timedelta(days=2)))
    with pytest.raises(lever.Refused, match="older"):
        lever.verify([NEW], stale.encode(), max_age=timedelta(days=1))
    # Lever's settings-page test request (empty data, an unverifiable signature): refused.
    test_request = (FIXTURES / "candidateHired.test_request.json").read_bytes()
    with pytest.raises(lever.Refused):
        lever.verify([NEW], test_request, max_age=timedelta(days=1))


@pytest.fixture(scope="module")
async def stack(
    devserver: tuple[WorkflowEnvironment, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PagesStack]:
    tmp = tmp_path_factory.mktemp("lever")
    async with pages_stack(
        devserver,
        tmp,
        lever_webhook_secrets=SecretStr(f"{NEW},{OLD}"),
        ats_store_path=tmp / "ats.sqlite3",
        api_tokens=SecretStr(TOKEN),
    ) as s:
        yield s


async def post(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await http.post("/v1/webhooks/lever", content=json.dumps(body).encode())


async def test_every_documented_event_is_answered_and_none_is_lost(stack: PagesStack) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for name in lever.EVENTS:
            r = await post(http, delivery(name))
            assert r.status_code == 200, (name, r.text)
            assert r.json()["status"] in ("ignored", "failed"), r.json()
        kept = (await http.get("/v1/webhooks/events?status=failed", headers=auth)).json()
        assert {e["action"] for e in kept if e["provider"] == "lever"} == {
            n for n, (h, _) in lever.EVENTS.items() if h == "keep"
        }
        assert all(e["retryable"] for e in kept)


async def test_a_replayed_or_forged_delivery_does_not_act(stack: PagesStack) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        body = delivery("applicationCreated", secret=OLD)  # rotation: the old token still works
        assert (await post(http, body)).json()["status"] == "failed"
        assert (await post(http, body)).json()["status"] == "duplicate"
        # The unsigned part changed, the signed part replayed: the same event, acting once.
        body["data"]["opportunityId"] = "forged"
        assert (await post(http, body)).json()["status"] == "duplicate"
        forged = {**delivery("applicationCreated"), "signature": "0" * 64}
        assert (await post(http, forged)).status_code == 401
        stale = delivery("applicationCreated", at=datetime.now(UTC) - timedelta(days=3))
        assert (await post(http, stale)).status_code == 401
