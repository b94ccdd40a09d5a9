"""Private by default: the README's `temporal` CLI examples, run word for word, leave no personal
data in plaintext in the dev server's database; and no heardback process starts without keys
unless encryption is explicitly off (and then it says so)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.client import Client

from heardback.gateway.codec_server import create_codec_app
from heardback.gateway.serve import uvicorn_server
from heardback.runtime.codec import new_key_spec
from heardback.runtime.converter import data_converter
from heardback.runtime.settings import Settings
from heardback.worker.stack import write_cli_env
from heardback.worker.wiring import build_worker, running
from tests.conftest import DEV_SERVER, free_port, make_settings, start_devserver_on_file

ROOT = Path(__file__).resolve().parent.parent
KEY = new_key_spec("k1")
TOKEN = "cli-codec-token-for-the-test"
PERSONAL = ["Ada Lovelace", "ada@example.org", "bob@acme.example"]


def readme_cli_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### With the `temporal` CLI", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the README's temporal CLI example block"
    return match.group(1)


@dataclass
class EncryptedStack:
    settings: Settings
    db_files: Callable[[], bytes]


@asynccontextmanager
async def encrypted_stack(tmp_path: Path) -> AsyncIterator[EncryptedStack]:
    """The dev server on a database file, an encrypting worker on the default task queue, and
    the codec server; after the block, the database file has been flushed (read it then)."""
    db = tmp_path / "temporal.db"
    port = free_port()
    env = await start_devserver_on_file(db, port)
    settings = make_settings(
        tmp_path,
        task_queue="heardback",  # the README's commands name the default queue
        temporal_address=f"127.0.0.1:{port}",
        encryption="on",
        encryption_keys=SecretStr(KEY),
        codec_port=free_port(),
        codec_tokens=SecretStr(TOKEN),
        encryption_keys_file=tmp_path / "no-such-file",
        worker_build_id="test",  # the dev server routes to versioned workers
    )
    codec = uvicorn_server(create_codec_app(settings), "127.0.0.1", settings.codec_port)
    serving = asyncio.create_task(codec.serve())
    try:
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=data_converter(settings))
        async with running(build_worker(client, settings), client, settings):
            while not codec.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.05)
            yield EncryptedStack(
                settings,
                lambda: b"".join(p.read_bytes() for p in tmp_path.glob("temporal.db*")),
            )
    finally:
        codec.should_exit = True
        await serving
        await env.shutdown()  # flushes the database file


def assert_nothing_personal(stored: bytes, workflow_id: str, secrets: list[str]) -> None:
    assert workflow_id.encode() in stored  # the right file: the ids are there
    assert b"binary/encrypted" in stored
    for secret in secrets:
        assert secret.encode() not in stored, f"{secret!r} found at rest"


async def test_the_readmes_temporal_cli_examples_store_nothing_personal_in_plaintext(
    tmp_path: Path,
) -> None:
    # The README's commands run from the project folder: `.venv/bin/temporal` and `var/`.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "temporal").symlink_to(DEV_SERVER)
    async with encrypted_stack(tmp_path) as stack:
        write_cli_env(stack.settings, TOKEN, tmp_path / "var" / "temporal-cli.env")
        ran = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-c", readme_cli_block()],
            check=False,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")},
        )
        out = ran.stdout + ran.stderr
        # The documented refusal is there, and the last query shows the decoded status.
        assert "written reasons" in out, out
        assert re.search(r'"outcome":\s*"rejected"', out), out
    assert_nothing_personal(
        stack.db_files(),
        "candidacy-r-7-c-42",
        [*PERSONAL, "Your system design was clear and well reasoned."],
    )


TS_EXAMPLE = ROOT / "examples" / "typescript"


async def test_the_typescript_example_encrypts_through_the_codec_server(tmp_path: Path) -> None:
    """examples/typescript, built by `make test` (npm ci, tsc), against the dev server."""
    built = (TS_EXAMPLE / "dist" / "main.js").exists()
    assert built, "build it first: scripts/ensure-ts-example.sh (make test does)"
    async with encrypted_stack(tmp_path) as stack:
        ran = await asyncio.to_thread(
            subprocess.run,
            ["node", str(TS_EXAMPLE / "dist" / "main.js")],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **os.environ,
                "HEARDBACK_TEMPORAL_ADDRESS": stack.settings.temporal_address,
                "HEARDBACK_TASK_QUEUE": stack.settings.task_queue,
                "HEARDBACK_CODEC_URL": f"http://127.0.0.1:{stack.settings.codec_port}",
                "HEARDBACK_CODEC_TOKEN": TOKEN,
            },
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        answer = json.loads(ran.stdout.strip().splitlines()[-1])
        assert answer["decided"]["stage"] == "onsite"
        assert answer["status"]["stage"] == "onsite"
        assert answer["status"]["interviews"][0]["feedback_lines"] == 1
    assert_nothing_personal(
        stack.db_files(),
        "candidacy-r-ts-c-ts",
        [
            "Grace Hopper",
            "grace@example.org",
            "ivy@acme.example",
            "You explained the compiler passes clearly, with good examples.",
        ],
    )


@pytest.mark.parametrize(
    "module", ["heardback.worker", "heardback.gateway", "heardback.gateway.codec"]
)
def test_no_process_starts_without_keys_unless_encryption_is_off(
    module: str, tmp_path: Path
) -> None:
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEARDBACK_")},
        "HEARDBACK_ENCRYPTION_KEYS_FILE": str(tmp_path / "none"),
        "HEARDBACK_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing listens
        "HEARDBACK_LOG_FORMAT": "json",
        "HEARDBACK_API_TOKENS": "t" * 32,
        "HEARDBACK_GATEWAY_PORT": str(free_port()),
        "HEARDBACK_CODEC_PORT": str(free_port()),
    }
    refused = subprocess.run(
        [sys.executable, "-m", module],
        check=False,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert refused.returncode != 0
    assert "HEARDBACK_ENCRYPTION=off" in refused.stdout + refused.stderr


def test_the_cli_refuses_without_keys_and_says_how_to_proceed(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEARDBACK_")},
        "HEARDBACK_ENCRYPTION_KEYS_FILE": str(tmp_path / "none"),
    }
    cli = Path(sys.executable).parent / "heardback"
    ran = subprocess.run(
        [str(cli), "status", "r-7", "c-42"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert ran.returncode == 1
    assert "HEARDBACK_ENCRYPTION=off" in ran.stdout + ran.stderr


def test_off_is_said_at_every_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_converter(make_settings(tmp_path, encryption="off"))
    assert "encryption_off" in capsys.readouterr().out
