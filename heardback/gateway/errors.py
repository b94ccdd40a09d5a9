"""Every error that reaches a client, mapped in one table to one body shape (:class:`ErrorBody`).

heardback's own errors (:mod:`heardback.workflows.errors`), request validation errors, routing
errors (404, 405) and the gateway's :class:`ApiError` are all answered by the handlers
:func:`add_error_handlers` installs from :data:`ERROR_TABLE`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from heardback.gateway.request_ids import request_id
from heardback.workflows.decoding import describe_errors
from heardback.workflows.errors import (
    Conflict,
    HeardbackError,
    InvalidInput,
    NotFound,
    Refused,
    Unavailable,
)

log = structlog.get_logger("heardback.gateway")


class ErrorBody(BaseModel):
    error: str = Field(description="invalid_input, refused, not_found, conflict, unauthorized, …")
    message: str = Field(description="what went wrong, in words a developer can act on")
    request_id: str


# The error responses every authenticated route documents (OpenAPI `responses`).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "the body is not readable (e.g. not UTF-8 JSON)"},
    401: {"model": ErrorBody, "description": "missing or wrong bearer token"},
    403: {"model": ErrorBody, "description": "a read-only token on a call that changes something"},
    404: {"model": ErrorBody, "description": "no such role or candidacy"},
    409: {"model": ErrorBody, "description": "refused: well-formed but not allowed now"},
    422: {"model": ErrorBody, "description": "the body does not match the contract"},
    503: {"model": ErrorBody, "description": "Temporal unreachable or busy: retry"},
}


class ApiError(Exception):
    """An error the gateway itself answers with (a refused token, an unknown query parameter)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def error_response(request: Request, status: int, error: str, message: str) -> JSONResponse:
    """The one error shape; a 401 also says how to authenticate (``WWW-Authenticate``)."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = ErrorBody(error=error, message=message, request_id=request_id(request))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


# --- the table ---------------------------------------------------------------------------------

E = TypeVar("E", bound=Exception)
Answer = tuple[int, str, str]  # HTTP status, `error`, `message`


@dataclass(frozen=True)
class ErrorMapping(Generic[E]):
    kind: type[E]
    answer: Callable[[E], Answer]
    logged: bool = False  # unexpected: also logged as an error


def _reason(status: int, error: str) -> Callable[[HeardbackError], Answer]:
    return lambda exc: (status, error, exc.reason)


def _request_invalid(exc: RequestValidationError) -> Answer:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {str(e.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return 422, "invalid_input", "; ".join(parts) or "invalid request"


_HTTP_ERRORS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}

# The first row whose kind the exception is an instance of answers it (most specific first).
ERROR_TABLE: tuple[ErrorMapping[Any], ...] = (
    ErrorMapping(ApiError, lambda exc: (exc.status, exc.error, exc.message)),
    ErrorMapping(InvalidInput, _reason(422, "invalid_input")),
    ErrorMapping(Refused, _reason(409, "refused")),
    ErrorMapping(Conflict, _reason(409, "conflict")),
    ErrorMapping(NotFound, _reason(404, "not_found")),
    ErrorMapping(Unavailable, _reason(503, "unavailable")),
    ErrorMapping(HeardbackError, _reason(502, "temporal_error"), logged=True),
    ErrorMapping(RequestValidationError, _request_invalid),
    ErrorMapping(ValidationError, lambda exc: (422, "invalid_input", describe_errors(exc))),
    ErrorMapping(
        StarletteHTTPException,
        lambda exc: (exc.status_code, _HTTP_ERRORS.get(exc.status_code, "error"), exc.detail),
    ),
)


async def _answer(request: Request, exc: Exception) -> JSONResponse:
    mapping = next(m for m in ERROR_TABLE if isinstance(exc, m.kind))
    status, error, message = mapping.answer(exc)
    if mapping.logged:
        log.error("gateway_error", detail=message, request_id=request_id(request))
    return error_response(request, status, error, message)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every kind in :data:`ERROR_TABLE` (replacing FastAPI's own handlers)."""
    for mapping in ERROR_TABLE:
        app.add_exception_handler(mapping.kind, _answer)
