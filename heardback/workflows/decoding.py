"""Decoding inbound payloads inside workflows, with errors a developer can act on.

Handlers take `RawValue` and decode here rather than letting the SDK do it: the SDK drops a signal
it cannot decode and answers an update with "Failed decoding arguments", naming nothing.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from heardback.workflows import contract, errors

M = TypeVar("M", bound=BaseModel)


def describe_errors(err: ValidationError) -> str:
    """A validation error as one line a developer can act on; input values are left out (PII)."""
    parts = []
    for e in err.errors(include_url=False, include_input=False, include_context=False):
        loc = ".".join(str(x) for x in e["loc"]) or "payload"
        parts.append(f"{loc}: {e['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def decode(raw: RawValue, model: type[M]) -> M:
    """Decode a command payload or refuse it (`InvalidPayload`) with the reason."""
    try:
        data = workflow.payload_converter().from_payload(raw.payload)
    except Exception as err:
        raise ApplicationError(
            f"payload is not JSON ({type(err).__name__})",
            type=errors.ERR_INVALID_PAYLOAD,
            non_retryable=True,
        ) from err
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ApplicationError(
            f"invalid {model.__name__}: {describe_errors(err)}",
            type=errors.ERR_INVALID_PAYLOAD,
            non_retryable=True,
        ) from None


def erased_subject(raw: RawValue) -> str | None:
    """The subject (a candidacy's workflow id) when this payload's data key was destroyed,
    i.e. the candidate was erased after it was sent; else None."""
    try:
        data = workflow.payload_converter().from_payload(raw.payload)
    except Exception:
        return None
    if isinstance(data, dict) and isinstance(data.get(contract.ERASED_MARKER), str):
        return str(data[contract.ERASED_MARKER])
    return None
