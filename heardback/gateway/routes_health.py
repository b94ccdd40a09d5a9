"""Health routes, answered anonymously (`/healthz` liveness, `/readyz` Temporal reachable), and the
OpenAPI document, served behind the bearer token like every other route."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from heardback.gateway.bodies import Health
from heardback.gateway.deps import AUTH, Holder

router = APIRouter()


@router.get("/openapi.json", include_in_schema=False, dependencies=[AUTH])
async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/healthz", tags=["health"], response_model=Health)
async def healthz() -> Health:
    """Liveness: the process serves requests."""
    return Health(status="ok")


@router.get(
    "/readyz",
    tags=["health"],
    response_model=Health,
    responses={503: {"model": Health, "description": "Temporal unreachable"}},
)
async def readyz(holder: Holder) -> Any:
    """Readiness: Temporal answers."""
    if await holder.ready():
        return Health(status="ready", temporal="reachable")
    return JSONResponse(
        Health(status="not_ready", temporal="unreachable").model_dump(), status_code=503
    )
