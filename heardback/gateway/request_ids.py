"""Request ids: every response carries ``X-Request-ID``, the caller's if it sent a sane one, else
a new one; every error body and log line of the request names it."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import Request, Response

log = structlog.get_logger("heardback.gateway")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id(request: Request) -> str:
    """This request's id (``-`` before the middleware has given it one)."""
    rid: str = getattr(request.state, "request_id", "") or "-"
    return rid


async def request_ids(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """HTTP middleware: give the request its id, echo it on the response, log the request."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request.state.request_id = given if _REQUEST_ID_OK.match(given) else uuid.uuid4().hex
    started = time.perf_counter()
    response = await call_next(request)
    response.headers[REQUEST_ID_HEADER] = request.state.request_id
    log.info(
        "http_request",
        method=request.method,
        # The route's template, never the path: a page's path is its signed link (a bearer
        # credential), and a mistyped one (a trailing slash, a 404) matches no route.
        route=getattr(request.scope.get("route"), "path", "(no route)"),
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=request.state.request_id,
    )
    return response
