"""Serving the gateway (`python -m heardback.gateway`, until SIGTERM or SIGINT; `make run` starts
it as a service). `python -m heardback.gateway --openapi` prints the OpenAPI document
(docs/openapi.json).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

import structlog
import uvicorn

from heardback.gateway.app import create_app
from heardback.runtime.converter import data_converter
from heardback.runtime.logs import configure_logging
from heardback.runtime.settings import Settings, get_settings

log = structlog.get_logger("heardback.gateway")


def uvicorn_server(
    app: Any, host: str, port: int, *, lifespan: Literal["on", "off"] = "on"
) -> uvicorn.Server:
    """uvicorn for one of heardback's apps (it stops on SIGTERM / SIGINT), logging through our
    structlog set-up."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # our structlog set-up; uvicorn's access log is replaced by ours
        access_log=False,
        lifespan=lifespan,
    )
    return uvicorn.Server(config)


def server(settings: Settings) -> uvicorn.Server:
    return uvicorn_server(create_app(settings), settings.gateway_host, settings.gateway_port)


def openapi_document() -> str:
    app = create_app(Settings())
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


async def main() -> int:
    if "--openapi" in sys.argv[1:]:
        sys.stdout.write(openapi_document())
        return 0
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        data_converter(settings)  # refuses without keys; says so when encryption is off
    except ValueError as err:
        log.error("encryption_keys_missing", detail=str(err))  # noqa: TRY400 - no traceback
        return 2
    srv = server(settings)
    log.info("gateway_starting", host=settings.gateway_host, port=settings.gateway_port)
    await srv.serve()  # uvicorn stops on SIGTERM / SIGINT
    return 0 if srv.started else 1
