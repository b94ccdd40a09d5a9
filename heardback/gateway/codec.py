"""`python -m heardback.gateway.codec`: the codec server alone, until SIGTERM or SIGINT."""

from __future__ import annotations

import structlog
import uvicorn

from heardback.gateway.codec_server import create_codec_app
from heardback.gateway.serve import uvicorn_server
from heardback.runtime.logs import configure_logging
from heardback.runtime.settings import Settings, get_settings
from heardback.runtime.temporal import run_and_exit

log = structlog.get_logger("heardback.codec")


def codec_server(settings: Settings) -> uvicorn.Server:
    return uvicorn_server(
        create_codec_app(settings), settings.codec_host, settings.codec_port, lifespan="off"
    )


async def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        srv = codec_server(settings)
    except ValueError as err:
        log.error("codec_server_not_configured", detail=str(err))  # noqa: TRY400
        return 2
    log.info("codec_server_starting", host=settings.codec_host, port=settings.codec_port)
    await srv.serve()
    return 0 if srv.started else 1


if __name__ == "__main__":
    run_and_exit(main)
