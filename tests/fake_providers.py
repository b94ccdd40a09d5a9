"""Lever's, Ashby's and Greenhouse Harvest's APIs as their documentation answers (the
documented responses under tests/fixtures/ats/*/api), served on loopback: the only part of the
providers that cannot run here. It checks HTTP Basic (the API key as user name), can answer 429
with Retry-After a few times (the rate limit), and lets a test change a record's fields (a
contactable candidate, an archived opportunity, Harvest's interviews and scorecards)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from heardback.gateway.serve import uvicorn_server
from tests.conftest import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "ats"
KEY = "provider-api-key-for-tests"


def _doc(provider: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / provider / "api" / name).read_text())
    return data


@dataclass
class Fake:
    url: str
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    archive_reasons: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Greenhouse Harvest: what its list endpoints answer (built from the documented examples)
    scheduled_interviews: list[dict[str, Any]] = field(default_factory=list)
    scorecards: list[dict[str, Any]] = field(default_factory=list)
    applications: dict[int, dict[str, Any]] = field(default_factory=dict)
    throttle: int = 0  # answer this many next requests with 429
    calls: list[str] = field(default_factory=list)


def _app(fake: Fake) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def auth(request: Request, call_next: Any) -> Any:
        fake.calls.append(f"{request.method} {request.url.path}")
        given = request.headers.get("Authorization", "")
        if given != "Basic " + base64.b64encode(f"{KEY}:".encode()).decode():
            return JSONResponse({"code": "Unauthorized"}, status_code=401)
        if fake.throttle > 0:
            fake.throttle -= 1
            return JSONResponse({"code": "TooManyRequests"}, 429, headers={"Retry-After": "1"})
        return await call_next(request)

    @app.get("/v1/opportunities/{opp}")
    async def opportunity(opp: str, expand: str | None = None) -> Any:
        doc = _doc("lever", "GET_v1_opportunities_id.json")
        doc["data"].update(id=opp, **fake.opportunities.get(opp, {}))
        if expand == "applications":
            app_doc = _doc("lever", "GET_v1_opportunities_id_applications_id.json")["data"]
            app_doc["opportunityId"] = opp
            doc["data"]["applications"] = [app_doc]
        return doc

    @app.get("/v1/opportunities/{opp}/applications/{application}")
    async def application(opp: str, application: str) -> Any:
        doc = _doc("lever", "GET_v1_opportunities_id_applications_id.json")
        doc["data"].update(id=application, opportunityId=opp)
        return doc

    @app.get("/v1/postings/{posting}")
    async def posting(posting: str) -> Any:
        doc = _doc("lever", "GET_v1_postings_id.json")
        doc["data"]["id"] = posting
        return doc

    @app.get("/v1/stages/{stage}")
    async def stage(stage: str) -> Any:
        doc = _doc("lever", "GET_v1_stages_id.json")
        doc["data"]["id"] = stage
        if stage in fake.stages:
            doc["data"]["text"] = fake.stages[stage]
        return doc

    @app.get("/v1/archive_reasons/{reason}")
    async def archive_reason(reason: str) -> Any:
        doc = _doc("lever", "GET_v1_archive_reasons_id.json")
        doc["data"].update(id=reason, **fake.archive_reasons.get(reason, {}))
        return doc

    @app.get("/v1/scheduled_interviews")
    async def scheduled_interviews(updated_after: str | None = None) -> Any:
        return [si for si in fake.scheduled_interviews if _after(si, updated_after)]

    @app.get("/v1/scorecards")
    async def scorecards(updated_after: str | None = None) -> Any:
        return [c for c in fake.scorecards if _after(c, updated_after)]

    @app.get("/v1/applications/{application}")
    async def harvest_application(application: int) -> Any:
        if application not in fake.applications:
            return JSONResponse({"message": "Resource not found"}, status_code=404)
        return fake.applications[application]

    @app.get("/v1/applications/{application}/scheduled_interviews")
    async def interviews_of(application: int) -> Any:
        return [si for si in fake.scheduled_interviews if si["application_id"] == application]

    @app.post("/candidate.info")
    async def candidate_info(request: Request) -> Any:
        ask = await request.json()
        doc = _doc("ashby", "candidate.info.json")
        if ask.get("id") != doc["results"]["id"] and ask.get("id") not in fake.candidates:
            return {"success": False, "errors": ["candidate_not_found"]}
        doc["results"].update(copy.deepcopy(fake.candidates.get(ask["id"], {})))
        return doc

    return app


def _after(record: dict[str, Any], updated_after: str | None) -> bool:
    """Harvest's `updated_after` filter (ISO 8601 times compare as text in one zone)."""
    return updated_after is None or str(record.get("updated_at", "")) > updated_after


def harvest_docs(name: str) -> list[dict[str, Any]]:
    """A documented Harvest list answer (a JSON array)."""
    data: list[dict[str, Any]] = json.loads((FIXTURES / "greenhouse" / "api" / name).read_text())
    return data


@asynccontextmanager
async def fake_providers() -> AsyncIterator[Fake]:
    port = free_port()
    fake = Fake(url=f"http://127.0.0.1:{port}")
    server = uvicorn_server(_app(fake), "127.0.0.1", port, lifespan="off")
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        yield fake
    finally:
        server.should_exit = True
        await serving
