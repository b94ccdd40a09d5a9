"""The HTTP gateway: heardback's contract as REST, for backends that are not Python.

Every route but health needs ``Authorization: Bearer <token>`` (tokens from settings); the ATS
webhook is authenticated by its HMAC signature instead. Every response carries ``X-Request-ID``
(the caller's, if it sent a sane one). Errors have one shape: ``{"error", "message",
"request_id"}``. A retry of an update with the same ``Idempotency-Key`` header is applied once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from heardback.gateway.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    DedupeStore,
    GhEvent,
    WebhookOutcome,
    apply_event,
    signature_valid,
)
from heardback.runtime.converter import data_converter
from heardback.runtime.settings import Settings, tokens
from heardback.runtime.temporal import connect_options
from heardback.starter.client import CandidacyListing, HeardbackClient
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import (
    Conflict,
    HeardbackError,
    InvalidInput,
    NotFound,
    Refused,
    Unavailable,
)
from heardback.workflows.models import (
    AddCandidate,
    AdvanceCohort,
    CandidacyInput,
    Candidate,
    CloseRole,
    CohortResult,
    Command,
    Decide,
    Id,
    InterviewCompleted,
    PauseRole,
    Policy,
    Role,
    RoleCommandResult,
    RoleInput,
    RoleSummary,
    Status,
    SubmitFeedback,
    Text,
    UpdateResult,
    Withdraw,
)

log = structlog.get_logger("heardback.gateway")

API_VERSION = "1.0.0"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# --- request and response bodies ---------------------------------------------------------------


class OpenRole(Command):
    """Open a role: its candidates are added with `POST /v1/roles/{role_id}/candidates`."""

    role: Role
    stages: list[Text] = Field(
        default_factory=lambda: ["application", "screen", "technical", "onsite"],
        min_length=1,
        max_length=50,
    )
    policy: Policy = Field(default_factory=Policy)


class StartCandidacy(Command):
    """A candidacy without a Role workflow (role-wide close/pause then do not reach it)."""

    role: Role
    candidate: Candidate
    policy: Policy = Field(default_factory=Policy)


class Started(BaseModel):
    workflow_id: str


class Accepted(BaseModel):
    workflow_id: str
    accepted: bool = True
    note: str = (
        "interviews are checked by the candidacy as they arrive; a rejected one is listed in "
        "the status's rejected_inputs"
    )


class ErrorBody(BaseModel):
    error: str = Field(description="invalid_input, refused, not_found, conflict, unauthorized, …")
    message: str = Field(description="what went wrong, in words a developer can act on")
    request_id: str


class Health(BaseModel):
    status: str
    temporal: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "the body is not readable (e.g. not UTF-8 JSON)"},
    401: {"model": ErrorBody, "description": "missing or wrong bearer token"},
    404: {"model": ErrorBody, "description": "no such role or candidacy"},
    409: {"model": ErrorBody, "description": "refused: well-formed but not allowed now"},
    422: {"model": ErrorBody, "description": "the body does not match the contract"},
    503: {"model": ErrorBody, "description": "Temporal unreachable or busy: retry"},
}

_STATUS_OF: list[tuple[type[HeardbackError], int, str]] = [
    (InvalidInput, 422, "invalid_input"),
    (Refused, 409, "refused"),
    (Conflict, 409, "conflict"),
    (NotFound, 404, "not_found"),
    (Unavailable, 503, "unavailable"),
]


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _request_id(request: Request) -> str:
    rid: str = getattr(request.state, "request_id", "") or "-"
    return rid


def _error(request: Request, status: int, error: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = ErrorBody(error=error, message=message, request_id=_request_id(request))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


# --- the client, connected lazily (the gateway starts even while Temporal is down) -------------


class ClientHolder:
    def __init__(self, settings: Settings, client: HeardbackClient | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def get(self) -> HeardbackClient:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await HeardbackClient.connect(
                        self._settings.temporal_address,
                        namespace=self._settings.namespace,
                        task_queue=self._settings.task_queue,
                        data_converter=data_converter(self._settings),
                        **connect_options(self._settings),
                    )
        return self._client

    async def ready(self) -> bool:
        try:
            client = await asyncio.wait_for(self.get(), timeout=3)
            await client.temporal.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timedelta(seconds=2)
            )
        except Exception:
            return False
        return True


# --- dependencies ------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="a token from HEARDBACK_API_TOKENS")


async def _authorised(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if creds is None or creds.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    given = creds.credentials.encode()
    # Compare against every token, always, in constant time: nothing to learn from timing.
    matched = False
    for token in request.app.state.tokens:
        matched |= hmac.compare_digest(token, given)
    if not matched:
        raise ApiError(401, "unauthorized", "the bearer token is not accepted")


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def _known_query_only(request: Request) -> None:
    """Refuse unknown query parameters (a typo like `?withn=P1D` must not be silently ignored),
    as bodies refuse unknown fields."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    allowed = _query_names(dependant) if dependant is not None else set()
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ApiError(
            422, "invalid_input", f"unknown query parameter(s) {unknown}; this route takes: {known}"
        )


async def _hb(request: Request) -> HeardbackClient:
    holder: ClientHolder = request.app.state.holder
    return await holder.get()


Hb = Annotated[HeardbackClient, Depends(_hb)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="retry-safe key: a repeated update with the same key is applied once",
    ),
]


# --- the app -----------------------------------------------------------------------------------


def create_app(settings: Settings, *, client: HeardbackClient | None = None) -> FastAPI:  # noqa: PLR0915 - routes are declared in one place
    holder = ClientHolder(settings, client)
    accepted_tokens = [t.encode() for t in tokens(settings)]
    webhook_secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    dedupe: DedupeStore | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal dedupe
        if webhook_secret:
            dedupe = DedupeStore(
                settings.webhook_dedupe_path, keep=timedelta(days=settings.webhook_dedupe_days)
            )
        if not accepted_tokens:
            log.warning("gateway_no_tokens", detail="HEARDBACK_API_TOKENS is empty: all refused")
        try:
            yield
        finally:
            if dedupe is not None:
                dedupe.close()

    app = FastAPI(
        title="heardback",
        version=API_VERSION,
        summary="Every candidate hears back: roles and candidacies over HTTP.",
        description=(
            "Authenticate with `Authorization: Bearer <token>`. Errors share one shape "
            "(`error`, `message`, `request_id`). Send `Idempotency-Key` on updates to retry "
            "them safely. Durations are ISO 8601 (`P7D`), times RFC 3339 with an offset."
        ),
        lifespan=lifespan,
        # Served below behind the bearer token (nothing but health is anonymous).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(_known_query_only)],
    )
    app.state.holder = holder
    app.state.tokens = accepted_tokens

    # -- cross-cutting: request ids, error shapes --

    @app.middleware("http")
    async def request_ids(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request.state.request_id = given if _REQUEST_ID_OK.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        response = await call_next(request)
        response.headers[REQUEST_ID_HEADER] = request.state.request_id
        log.info(
            "http_request",
            method=request.method,
            route=getattr(request.scope.get("route"), "path", request.url.path),
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 1),
            request_id=request.state.request_id,
        )
        return response

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(request, exc.status, exc.error, exc.message)

    @app.exception_handler(HeardbackError)
    async def heardback_error(request: Request, exc: HeardbackError) -> JSONResponse:
        for kind, status, error in _STATUS_OF:
            if isinstance(exc, kind):
                return _error(request, status, error, exc.reason)
        log.error("gateway_error", detail=exc.reason, request_id=_request_id(request))
        return _error(request, 502, "temporal_error", exc.reason)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        return _error(request, exc.status_code, names.get(exc.status_code, "error"), exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(request, 422, "invalid_input", _describe(exc.errors()))

    @app.exception_handler(ValidationError)
    async def invalid_model(request: Request, exc: ValidationError) -> JSONResponse:
        return _error(request, 422, "invalid_input", describe_errors(exc))

    auth = [Depends(_authorised)]

    def key(op: str, idem: str | None) -> str | None:
        return None if idem is None else f"http-{op}-{hashlib.sha256(idem.encode()).hexdigest()}"

    @app.get("/openapi.json", include_in_schema=False, dependencies=auth)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(app.openapi())

    # -- health --

    @app.get("/healthz", tags=["health"], response_model=Health)
    async def healthz() -> Health:
        """Liveness: the process serves requests."""
        return Health(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        response_model=Health,
        responses={503: {"model": Health, "description": "Temporal unreachable"}},
    )
    async def readyz() -> Any:
        """Readiness: Temporal answers."""
        if await holder.ready():
            return Health(status="ready", temporal="reachable")
        return JSONResponse(
            Health(status="not_ready", temporal="unreachable").model_dump(), status_code=503
        )

    # -- roles --

    @app.post(
        "/v1/roles",
        tags=["roles"],
        status_code=201,
        response_model=Started,
        dependencies=auth,
        responses=ERRORS,
    )
    async def open_role(body: OpenRole, c: Hb) -> Started:
        """Open a role (idempotent: opening it again returns the running one)."""
        wf = await c.open_role(RoleInput(role=body.role, stages=body.stages, policy=body.policy))
        return Started(workflow_id=wf)

    @app.get(
        "/v1/roles/{role_id}",
        tags=["roles"],
        response_model=RoleSummary,
        dependencies=auth,
        responses=ERRORS,
    )
    async def role_summary(role_id: Id, c: Hb) -> RoleSummary:
        """Counts by state, stage and outcome; messages still owed."""
        return await c.summary(role_id)

    @app.post(
        "/v1/roles/{role_id}/candidates",
        tags=["roles"],
        status_code=201,
        response_model=Started,
        dependencies=auth,
        responses=ERRORS,
    )
    async def add_candidate(role_id: Id, body: AddCandidate, c: Hb) -> Started:
        """Add a candidate to an open role; they are acknowledged at once. Idempotent."""
        return Started(workflow_id=await c.add_candidate(role_id, body.candidate))

    @app.post(
        "/v1/roles/{role_id}/pause",
        tags=["roles"],
        response_model=RoleCommandResult,
        dependencies=auth,
        responses=ERRORS,
    )
    async def pause_role(
        role_id: Id, body: PauseRole, c: Hb, idem: IdempotencyKey = None
    ) -> RoleCommandResult:
        """Pause hiring: every open candidate is told why and until when."""
        return await c.pause_role(role_id, body, request_id=key("pause", idem))

    @app.post(
        "/v1/roles/{role_id}/resume",
        tags=["roles"],
        response_model=RoleCommandResult,
        dependencies=auth,
        responses=ERRORS,
    )
    async def resume_role(role_id: Id, c: Hb, idem: IdempotencyKey = None) -> RoleCommandResult:
        """Resume a paused role."""
        return await c.resume_role(role_id, request_id=key("resume", idem))

    @app.post(
        "/v1/roles/{role_id}/close",
        tags=["roles"],
        response_model=RoleCommandResult,
        dependencies=auth,
        responses=ERRORS,
    )
    async def close_role(
        role_id: Id, body: CloseRole, c: Hb, idem: IdempotencyKey = None
    ) -> RoleCommandResult:
        """Close the role (filled or cancelled): everyone still waiting is told."""
        return await c.close_role(role_id, body, request_id=key("close", idem))

    @app.post(
        "/v1/roles/{role_id}/cohorts",
        tags=["roles"],
        response_model=CohortResult,
        dependencies=auth,
        responses=ERRORS,
    )
    async def advance_cohort(
        role_id: Id, body: AdvanceCohort, c: Hb, idem: IdempotencyKey = None
    ) -> CohortResult:
        """Advance the named candidates; reject or hold the rest of the stage."""
        return await c.advance_cohort(role_id, body, request_id=key("cohort", idem))

    # -- candidacies --

    @app.post(
        "/v1/candidacies",
        tags=["candidacies"],
        status_code=201,
        response_model=Started,
        dependencies=auth,
        responses=ERRORS,
    )
    async def start_candidacy(body: StartCandidacy, c: Hb) -> Started:
        """Start a candidacy without a role workflow (idempotent)."""
        inp = CandidacyInput(role=body.role, candidate=body.candidate, policy=body.policy)
        return Started(workflow_id=await c.start_candidacy(inp))

    cand = "/v1/roles/{role_id}/candidates/{candidate_id}"

    @app.get(
        cand,
        tags=["candidacies"],
        response_model=Status,
        dependencies=auth,
        responses=ERRORS,
    )
    async def candidacy_status(role_id: Id, candidate_id: Id, c: Hb) -> Status:
        """Where a candidacy stands: state, stage, next deadline, messages (no PII)."""
        return await c.status(role_id, candidate_id)

    @app.post(
        cand + "/interviews",
        tags=["candidacies"],
        status_code=202,
        response_model=Accepted,
        dependencies=auth,
        responses=ERRORS,
    )
    async def record_interview(
        role_id: Id, candidate_id: Id, body: InterviewCompleted, c: Hb
    ) -> Accepted:
        """Record a completed interview. Resending the same interview is harmless."""
        await c.record_interview(role_id, candidate_id, body)
        return Accepted(workflow_id=f"candidacy-{role_id}-{candidate_id}")

    @app.post(
        cand + "/feedback",
        tags=["candidacies"],
        response_model=UpdateResult,
        dependencies=auth,
        responses=ERRORS,
    )
    async def submit_feedback(
        role_id: Id, candidate_id: Id, body: SubmitFeedback, c: Hb, idem: IdempotencyKey = None
    ) -> UpdateResult:
        """Candidate-facing feedback for an interview."""
        return await c.submit_feedback(
            role_id, candidate_id, body, request_id=key("feedback", idem)
        )

    @app.post(
        cand + "/decision",
        tags=["candidacies"],
        response_model=UpdateResult,
        dependencies=auth,
        responses=ERRORS,
    )
    async def decide(
        role_id: Id, candidate_id: Id, body: Decide, c: Hb, idem: IdempotencyKey = None
    ) -> UpdateResult:
        """Decide the current stage: advance, reject, hold or offer."""
        return await c.decide(role_id, candidate_id, body, request_id=key("decide", idem))

    @app.post(
        cand + "/withdrawal",
        tags=["candidacies"],
        response_model=UpdateResult,
        dependencies=auth,
        responses=ERRORS,
    )
    async def withdraw(
        role_id: Id, candidate_id: Id, body: Withdraw, c: Hb, idem: IdempotencyKey = None
    ) -> UpdateResult:
        """The candidate withdrew; they get a confirmation."""
        return await c.withdraw(role_id, candidate_id, body, request_id=key("withdraw", idem))

    @app.get(
        "/v1/overdue",
        tags=["operations"],
        response_model=list[CandidacyListing],
        dependencies=auth,
        responses=ERRORS,
    )
    async def overdue(
        c: Hb,
        within: Annotated[timedelta, Query(description="ISO 8601, e.g. P1D")] = timedelta(0),
        role_id: Annotated[Id | None, Query()] = None,
    ) -> list[CandidacyListing]:
        """Running candidacies whose next obligation is late or due within `within`."""
        if within < timedelta(0) or within > timedelta(days=365):
            raise ApiError(422, "invalid_input", "within must be between P0D and P365D")
        return await c.overdue(within=within, role_id=role_id)

    # -- the ATS webhook --

    @app.post(
        "/v1/webhooks/ats",
        tags=["webhooks"],
        response_model=WebhookOutcome,
        responses={
            400: {"model": ErrorBody, "description": "not JSON, or not an ATS event"},
            401: {"model": ErrorBody, "description": "signature missing or wrong"},
            409: {"model": ErrorBody, "description": "the same event is being processed"},
            503: {"model": ErrorBody, "description": "not configured, or Temporal down: retry"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": GhEvent.model_json_schema()}},
            }
        },
    )
    async def ats_webhook(
        request: Request,
        signature: Annotated[
            str | None,
            Header(alias=SIGNATURE_HEADER, description="sha256 <hex HMAC of the raw body>"),
        ] = None,
        event_id_header: Annotated[
            str | None, Header(alias=EVENT_ID_HEADER, max_length=200)
        ] = None,
    ) -> WebhookOutcome:
        """Greenhouse-style events (candidate_stage_change, reject_candidate, hire_candidate,
        interview_completed, new_candidate_application); others are acknowledged and ignored.
        Each event is applied once, however often it is delivered."""
        if webhook_secret is None or dedupe is None:
            raise ApiError(503, "not_configured", "set HEARDBACK_WEBHOOK_SECRET to accept webhooks")
        body = await request.body()
        if not signature_valid(webhook_secret, body, signature):
            raise ApiError(401, "unauthorized", f"the {SIGNATURE_HEADER} header does not match")
        try:
            ev = GhEvent.model_validate(json.loads(body))
        except (ValueError, ValidationError) as err:
            detail = describe_errors(err) if isinstance(err, ValidationError) else "not JSON"
            raise ApiError(400, "bad_event", f"not an ATS event: {detail}") from None
        event_id = event_id_header or ev.event_id or hashlib.sha256(body).hexdigest()
        claim, previous = await asyncio.to_thread(dedupe.claim, event_id)
        if claim == "done":
            return WebhookOutcome(
                event_id=event_id, status="duplicate", action=ev.action, reason=previous
            )
        if claim == "in_progress":
            raise ApiError(409, "in_progress", "this event is being processed; retry later")
        try:
            client = await holder.get()
            outcome = await apply_event(client, ev, event_id)
        except BaseException:
            await asyncio.to_thread(dedupe.release, event_id)
            raise
        await asyncio.to_thread(dedupe.finish, event_id, outcome.status)
        log.info(
            "webhook_event",
            event_id=event_id,
            action=ev.action,
            status=outcome.status,
            request_id=_request_id(request),
        )
        return outcome

    return app


def _describe(errors: Any) -> str:
    parts = []
    for e in errors:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {str(e.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts) or "invalid request"
