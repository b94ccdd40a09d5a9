"""Lever's, Ashby's and Greenhouse Harvest v3's APIs as their documentation answers (the
documented responses under tests/fixtures/ats/*/api), served on loopback: the only part of the
providers that cannot run here. It checks HTTP Basic (the API key as user name) for Lever and
Ashby; for Harvest v3, OAuth's client credentials at `POST /token` and the bearer token on every
call, cursor pages (a `cursor` must come alone), the filters' documented forms and limits
(`updated_at=gte|<time>`, at most 50 ids, at most 500 a page), refusing anything else with 422.
It can answer 429 with Retry-After a few times (the rate limit), and lets a test change a
record's fields (a contactable candidate, an archived opportunity, Harvest's records)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from heardback.gateway.serve import uvicorn_server
from tests.conftest import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "ats"
KEY = "provider-api-key-for-tests"
HARVEST_CLIENT_ID = "harvest-client-id-for-tests"
HARVEST_CLIENT_SECRET = "harvest-client-secret-for-tests"
HARVEST_LISTS = (
    "interviews",
    "interviewers",
    "scorecards",
    "scorecard_question_answers",
    "scorecard_questions",
    "scorecard_candidate_attributes",
    "applications",
    "notes",
)


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
    # Greenhouse Harvest v3: what each list endpoint holds (built from the documented examples)
    harvest: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in HARVEST_LISTS}
    )
    harvest_page: int = 500  # the largest page the fake answers (small: pages are followed)
    tokens: set[str] = field(default_factory=set)  # the bearer tokens it has issued, still valid
    token_requests: int = 0
    # Lever: interviews and feedback forms per opportunity (lists: one record a page)
    lever_interviews: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lever_feedback: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Ashby: the feedback submitted per application (applicationFeedback.list), a page each
    ashby_feedback: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    throttle: int = 0  # answer this many next requests with 429
    calls: list[str] = field(default_factory=list)


def _app(fake: Fake) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def auth(request: Request, call_next: Any) -> Any:
        fake.calls.append(f"{request.method} {request.url.path}")
        given = request.headers.get("Authorization", "")
        if request.url.path.startswith("/v3/"):
            if not given.startswith("Bearer ") or given.removeprefix("Bearer ") not in fake.tokens:
                return JSONResponse({"message": "Unauthorized"}, status_code=401)
        elif request.url.path == "/token":
            pair = f"{HARVEST_CLIENT_ID}:{HARVEST_CLIENT_SECRET}".encode()
            if given != "Basic " + base64.b64encode(pair).decode():
                return JSONResponse({"error": "invalid_client"}, status_code=401)
        elif given != "Basic " + base64.b64encode(f"{KEY}:".encode()).decode():
            return JSONResponse({"code": "Unauthorized"}, status_code=401)
        if fake.throttle > 0:
            fake.throttle -= 1
            return JSONResponse({"code": "TooManyRequests"}, 429, headers={"Retry-After": "1"})
        return await call_next(request)

    @app.post("/token")
    async def token(request: Request) -> Any:
        if request.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        form = dict(parse_qsl((await request.body()).decode(), strict_parsing=True))
        if form.get("grant_type") != "client_credentials" or set(form) - {"grant_type", "sub"}:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        fake.token_requests += 1
        doc = _doc("greenhouse", "POST_token.json")
        doc["access_token"] = secrets.token_urlsafe(16)
        fake.tokens.add(doc["access_token"])
        return doc

    @app.post("/v3/notes")
    async def create_note(request: Request) -> Any:
        """`POST /v3/notes` as its reference documents the body: `body`, `visibility`
        (admin_only, private, public) and `note_type` (EMAIL, ACTIVITY, NOTE) required, the
        candidate's id always, no email fields on a plain note, nothing else."""
        body = await request.json()
        allowed = {"candidate_id", "application_id", "body", "visibility", "note_type"}
        allowed |= {"user_id", "subject", "email_from", "email_to", "email_cc"}
        if (
            not isinstance(body, dict)
            or set(body) - allowed
            or not {"body", "visibility", "note_type", "candidate_id"} <= set(body)
            or body["visibility"] not in ("admin_only", "private", "public")
            or body["note_type"] not in ("EMAIL", "ACTIVITY", "NOTE")
            or (body["note_type"] != "EMAIL" and {"email_from", "email_to", "email_cc"} & set(body))
        ):
            return _invalid("not a note as POST /v3/notes takes it")
        note = {
            "id": len(fake.harvest["notes"]) + 1,
            "candidate_id": body["candidate_id"],
            "application_id": body.get("application_id"),
            "body": body["body"],
            "type": body["note_type"],
            "visibility": f"{body['visibility']}_visible".replace("private_", "privately_").replace(
                "public_", "publicly_"
            ),
            "user_id": body.get("user_id"),
        }
        fake.harvest["notes"].append(note)
        return JSONResponse(note, status_code=201)

    @app.get("/v3/{resource}")
    async def harvest_list(resource: str, request: Request) -> Any:
        if resource not in HARVEST_LISTS:
            return JSONResponse({"message": "Not found"}, status_code=404)
        query = dict(request.query_params)
        if "cursor" in query:
            if len(request.query_params.multi_items()) != 1:
                return _invalid("a cursor must be the only query parameter")
            state = json.loads(base64.urlsafe_b64decode(query["cursor"]))
            query, offset = state["query"], state["offset"]
        else:
            offset = 0
        try:
            rows = _filtered(fake.harvest[resource], query)
            per_page = int(query.get("per_page", "100"))
        except ValueError as err:
            return _invalid(str(err))
        if not 1 <= per_page <= 500:
            return _invalid("per_page is 1 to 500")
        size = min(per_page, fake.harvest_page)
        page = rows[offset : offset + size]
        headers = {}
        if offset + size < len(rows):
            cursor = base64.urlsafe_b64encode(
                json.dumps({"query": query, "offset": offset + size}).encode()
            ).decode()
            headers["Link"] = f'<{fake.url}/v3/{resource}?cursor={cursor}>; rel="next"'
        return JSONResponse(page, headers=headers)

    @app.get("/v1/opportunities/{opp}")
    async def opportunity(opp: str, expand: str | None = None) -> Any:
        doc = _doc("lever", "GET_v1_opportunities_id.json")
        doc["data"].update(id=opp, **fake.opportunities.get(opp, {}))
        if expand == "applications":
            app_doc = _doc("lever", "GET_v1_opportunities_id_applications_id.json")["data"]
            app_doc["opportunityId"] = opp
            doc["data"]["applications"] = [app_doc]
        return doc

    @app.get("/v1/opportunities/{opp}/interviews")
    async def interviews(opp: str, offset: str | None = None) -> Any:
        return _lever_page(fake.lever_interviews.get(opp, []), offset)

    @app.get("/v1/opportunities/{opp}/feedback")
    async def feedback(opp: str, offset: str | None = None) -> Any:
        return _lever_page(fake.lever_feedback.get(opp, []), offset)

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

    @app.post("/applicationFeedback.list")
    async def application_feedback(request: Request) -> Any:
        """Ashby's documented paging: `results`, `moreDataAvailable`, `nextCursor`; one result
        a page here, so every page is followed."""
        ask = await request.json()
        if not isinstance(ask.get("applicationId"), str):
            return {"success": False, "errors": ["invalid_input"]}
        forms = fake.ashby_feedback.get(ask["applicationId"], [])
        at = int(ask.get("cursor") or 0)
        more = at + 1 < len(forms)
        page: dict[str, Any] = {
            "success": True,
            "results": forms[at : at + 1],
            "moreDataAvailable": more,
        }
        if more:
            page["nextCursor"] = str(at + 1)
        return page

    @app.post("/candidate.info")
    async def candidate_info(request: Request) -> Any:
        ask = await request.json()
        doc = _doc("ashby", "candidate.info.json")
        if ask.get("id") != doc["results"]["id"] and ask.get("id") not in fake.candidates:
            return {"success": False, "errors": ["candidate_not_found"]}
        doc["results"].update(copy.deepcopy(fake.candidates.get(ask["id"], {})))
        return doc

    return app


def _lever_page(records: list[dict[str, Any]], offset: str | None) -> dict[str, Any]:
    """Lever's documented list shape, `{"data", "hasNext", "next"}`, one record a page."""
    at = int(offset or 0)
    more = at + 1 < len(records)
    return {"data": records[at : at + 1], "hasNext": more} | ({"next": str(at + 1)} if more else {})


def _invalid(why: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": why}]}, status_code=422)


def _filtered(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """Harvest v3's list filters as its reference documents them; ValueError for anything
    else (so a misspelt filter fails the test instead of reading everything)."""
    out = sorted(rows, key=lambda r: int(r["id"]))
    for name, value in query.items():
        if name == "per_page":
            continue
        if name == "ids" or name.endswith("_ids"):
            wanted = [int(v) for v in value.split(",")]
            if len(wanted) > 50:
                raise ValueError(f"{name}: at most 50 ids")
            key = "id" if name == "ids" else name.removesuffix("s")
            out = [r for r in out if r.get(key) in wanted]
        elif name == "updated_at":
            op, _, at = value.partition("|")
            if op != "gte" or not at.endswith("Z"):
                raise ValueError("updated_at is gte|<ISO 8601 time, UTC>")
            since = datetime.fromisoformat(at.replace("Z", "+00:00"))
            out = [r for r in out if _time(r.get("updated_at")) >= since]
        elif name == "status":
            out = [r for r in out if r.get("status") == value]
        else:
            raise ValueError(f"unknown filter {name}")
    return out


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def harvest_docs(name: str) -> list[dict[str, Any]]:
    """A documented Harvest v3 list answer (a JSON array)."""
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
