"""Crypto-shredding: every payload is sealed with its subject's data key, erasure destroys the
candidate's keys, and then nothing of them opens anywhere, while the rest still does.

Unit cases run the codec on a real key table (SQLite, and PostgreSQL where the ledger is shared);
the last test drives candidacies through every entry point (Python client, the heardback CLI,
HTTP, the TypeScript example, the README's `temporal` commands) on the dev server, keeps a copy of
every history, erases two candidates and searches the database, the ledger, the outbox, the logs
and the copies."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf.message import Message
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import WorkflowSerializationContext
from temporalio.testing import WorkflowEnvironment

from heardback.gateway.app import create_app
from heardback.gateway.serve import uvicorn_server
from heardback.runtime.codec import EncryptionCodec, EnvelopeCodec, new_key_spec, parse_keys
from heardback.runtime.converter import DATA_CONVERTER, codec_from, data_converter
from heardback.runtime.datakeys import (
    DataKeys,
    LocalKeyWrapper,
    PostgresDataKeys,
    SqliteDataKeys,
)
from heardback.runtime.settings import data_keys_path
from heardback.starter.client import HeardbackClient
from heardback.worker.stack import write_cli_env
from heardback.worker.wiring import build_replayer, build_worker
from heardback.workflows import contract
from heardback.workflows.models import (
    Candidate,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    Role,
    RoleInput,
    SweepResult,
    UpdateResult,
)
from tests.conftest import DEV_SERVER, Harness, free_port, make_settings
from tests.test_private_by_default import (
    KEY,
    TOKEN,
    TS_EXAMPLE,
    encrypted_stack,
    readme_cli_block,
)

K1, K2 = new_key_spec("k1"), new_key_spec("k2")


def json_payload(value: Any) -> Payload:
    return DATA_CONVERTER.payload_converter.to_payloads([value])[0]


def codec_on(table: Any, spec: str = K1, cache: float = 30.0) -> EnvelopeCodec:
    keys = DataKeys(table, LocalKeyWrapper(parse_keys(spec)), cache_seconds=cache)
    return EnvelopeCodec(keys, EncryptionCodec(parse_keys(spec)))


def scoped(codec: EnvelopeCodec, workflow_id: str) -> EnvelopeCodec:
    return codec.with_context(WorkflowSerializationContext("default", workflow_id))


async def opened(codec: EnvelopeCodec, payload: Payload) -> Any:
    (plain,) = await codec.decode([payload])
    return json.loads(plain.data)


ADA = {"candidate": {"id": "c-1", "name": "Ada Lovelace", "email": "ada@example.org"}}
BOB = {"candidate": {"id": "c-2", "name": "Bob Marley", "email": "bob@example.org"}}


async def test_each_candidacy_has_its_own_key_and_erasing_one_leaves_the_others_readable(
    tmp_path: Path,
) -> None:
    codec = codec_on(SqliteDataKeys(tmp_path / "keys.sqlite3"))
    (ada,) = await scoped(codec, "candidacy-r-1-c-1").encode([json_payload(ADA)])
    (bob,) = await scoped(codec, "candidacy-r-1-c-2").encode([json_payload(BOB)])
    assert ada.metadata["encryption-key-id"] != bob.metadata["encryption-key-id"]
    assert b"Ada" not in ada.SerializeToString()
    assert await opened(codec, ada) == ADA

    assert codec.keys.destroy("candidacy-r-1-c-1") == 1
    fresh = codec_on(SqliteDataKeys(tmp_path / "keys.sqlite3"))  # another process, no cache
    for reader in (codec, fresh):
        assert await opened(reader, ada) == {contract.ERASED_MARKER: "candidacy-r-1-c-1"}
        assert await opened(reader, bob) == BOB
    # A new candidacy under the same id later (a re-application) gets a new key.
    (again,) = await scoped(codec, "candidacy-r-1-c-1").encode([json_payload(ADA)])
    assert again.metadata["encryption-key-id"] != ada.metadata["encryption-key-id"]
    assert await opened(fresh, again) == ADA


async def test_a_roles_payload_naming_one_candidate_is_sealed_with_that_candidacys_key(
    tmp_path: Path,
) -> None:
    codec = codec_on(SqliteDataKeys(tmp_path / "keys.sqlite3"))
    role = scoped(codec, "role-r-1")
    (added,) = await role.encode([json_payload(ADA)])  # the add_candidate update's input
    (closed,) = await role.encode([json_payload({"reason": "filled"})])
    codec.keys.destroy("candidacy-r-1-c-1")
    assert await opened(codec, added) == {contract.ERASED_MARKER: "candidacy-r-1-c-1"}
    assert await opened(codec, closed) == {"reason": "filled"}


async def test_a_start_input_through_the_codec_server_is_sealed_for_its_candidacy(
    tmp_path: Path,
) -> None:
    """Without a workflow (the remote codec), a candidacy's start input still gets the
    candidacy's key; anything else the shared one (unless the client names the workflow)."""
    codec = codec_on(SqliteDataKeys(tmp_path / "keys.sqlite3"))
    start = {"role": {"id": "r-7", "title": "X"}, **ADA}
    (sealed,) = await codec.encode([json_payload(start)])
    (other,) = await codec.encode([json_payload({"interview_id": "i-1"})])
    codec.keys.destroy("candidacy-r-7-c-1")
    assert await opened(codec, sealed) == {contract.ERASED_MARKER: "candidacy-r-7-c-1"}
    assert await opened(codec, other) == {"interview_id": "i-1"}


async def test_rotating_the_master_key_rewraps_data_keys_and_old_histories_open_without_it(
    tmp_path: Path,
) -> None:
    table = SqliteDataKeys(tmp_path / "keys.sqlite3")
    (ada,) = await scoped(codec_on(table, K1), "candidacy-r-1-c-1").encode([json_payload(ADA)])
    only_new = codec_on(table, K2, cache=0)
    with pytest.raises(Exception, match="not configured"):
        await only_new.decode([ada])
    both = codec_on(table, f"{K2},{K1}")
    assert both.keys.rewrap() == 1
    assert both.keys.rewrap() == 0  # already under k2
    assert await opened(codec_on(table, K2, cache=0), ada) == ADA  # k1 is no longer needed
    assert ada.metadata["encryption-key-id"].startswith(b"d-")  # the payload was not rewritten


async def test_payloads_sealed_by_a_master_key_before_1_3_still_open(tmp_path: Path) -> None:
    (old,) = await EncryptionCodec(parse_keys(K1)).encode([json_payload(ADA)])
    assert await opened(codec_on(SqliteDataKeys(tmp_path / "k.sqlite3"), K1), old) == ADA


async def test_an_erasure_made_by_another_process_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite3"
    worker = codec_on(SqliteDataKeys(path), cache=0)
    gateway = codec_on(SqliteDataKeys(path), cache=0)
    (ada,) = await scoped(worker, "candidacy-r-1-c-1").encode([json_payload(ADA)])
    assert await opened(gateway, ada) == ADA
    worker.keys.destroy("candidacy-r-1-c-1")
    assert await opened(gateway, ada) == {contract.ERASED_MARKER: "candidacy-r-1-c-1"}


async def test_a_destroyed_key_leaves_no_trace_in_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite3"
    table = SqliteDataKeys(path)
    await scoped(codec_on(table), "candidacy-r-1-c-1").encode([json_payload(ADA)])
    (stored,) = table.live()
    assert stored.wrapped is not None and stored.wrapped in path.read_bytes()
    table.destroy("candidacy-r-1-c-1")
    assert stored.wrapped not in b"".join(p.read_bytes() for p in tmp_path.glob("keys.sqlite3*"))


async def test_the_shared_postgresql_key_table_behaves_the_same(postgres_dsn: str) -> None:
    table = PostgresDataKeys(postgres_dsn)
    try:
        subject = f"candidacy-r-pg-c-{os.getpid()}-{id(table)}"
        one, two = codec_on(table, cache=0), codec_on(table, cache=0)  # two replicas
        (ada,) = await scoped(one, subject).encode([json_payload(ADA)])
        assert await opened(two, ada) == ADA
        assert two.keys.destroy(subject) == 1
        assert await opened(one, ada) == {contract.ERASED_MARKER: subject}
    finally:
        table.close()


# --- every entry point, then erasure ------------------------------------------------------------


async def history_copy(raw: Client, workflow_id: str) -> WorkflowHistory:
    """What a backup or an archive of Temporal's database would hold: the sealed payloads."""
    return await raw.get_workflow_handle(workflow_id).fetch_history()


def sealed_payloads(history: WorkflowHistory) -> list[Payload]:
    found: list[Payload] = []

    def walk(message: Any) -> None:
        if getattr(message, "marker_name", ""):
            # A marker's own bookkeeping (patch ids, a local activity's type and times) is the
            # SDK's, in plaintext; a local activity's result is ours, under "result".
            if "result" in message.details:
                found.extend(message.details["result"].payloads)
            return
        for field, value in message.ListFields():
            if field.message_type is None or field.name == "search_attributes":
                continue  # search attributes stay plaintext for visibility: ids and times only
            if field.message_type.GetOptions().map_entry:
                items = list(value.values())
            elif isinstance(value, Message):
                items = [value]
            else:
                items = list(value)
            for item in items:
                if isinstance(item, Payload):
                    found.append(item)
                elif hasattr(item, "ListFields"):
                    walk(item)

    for event in history.events:
        walk(event)
    return found


async def readable_text(codec: EnvelopeCodec, history: WorkflowHistory) -> bytes:
    """Everything the key store still opens in a copy of a history."""
    out = []
    for payload in sealed_payloads(history):
        assert payload.metadata.get("encoding") == b"binary/encrypted", f"plaintext: {payload}"
        (plain,) = await codec.decode([payload])
        out.append(plain.data)
    return b"\n".join(out)


async def test_every_entry_point_is_sealed_and_an_erased_candidate_opens_nowhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = {
        "py": ("Paloma Pythonova", "paloma@private.example"),
        "cli": ("Clio Commandline", "clio@private.example"),
        "http": ("Hedda Httpsen", "hedda@private.example"),
        "ts": ("Grace Hopper", "grace@example.org"),
        "readme": ("Ada Lovelace", "ada@example.org"),
    }
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "temporal").symlink_to(DEV_SERVER)
    async with encrypted_stack(tmp_path) as stack:
        settings = stack.settings
        client = await Client.connect(
            settings.temporal_address, data_converter=data_converter(settings)
        )
        hb = HeardbackClient(client, task_queue=settings.task_queue)
        # 1. The Python client, through the Role's add_candidate.
        await hb.open_role(
            RoleInput(
                role=Role(
                    id="r-all", title="Engineer", company="Acme", contact_email="h@acme.example"
                )
            )
        )
        await hb.add_candidate(
            "r-all", Candidate(id="c-py", name=people["py"][0], email=people["py"][1])
        )
        await hb.record_interview(
            "r-all",
            "c-py",
            InterviewCompleted(
                interview_id="i-1",
                stage="application",
                interviewer_email="ivy.interviewer@acme.example",
                duration="PT1H",
                feedback=["Your whiteboard session was the clearest we saw."],
            ),
        )
        # 2. The heardback CLI, as an operator runs it.
        env = {
            **{
                k: v for k, v in os.environ.items() if not k.startswith(("HEARDBACK_", "TEMPORAL_"))
            },
            "HEARDBACK_TEMPORAL_ADDRESS": settings.temporal_address,
            "HEARDBACK_TASK_QUEUE": settings.task_queue,
            "HEARDBACK_ENCRYPTION": "on",
            "HEARDBACK_ENCRYPTION_KEYS": KEY,
            "HEARDBACK_LEDGER_PATH": str(settings.ledger_path),
        }
        cli = Path(sys.executable).parent / "heardback"
        ran = await asyncio.to_thread(
            subprocess.run,
            [str(cli), "candidate", "add", "r-all", "c-cli",
             "--name", people["cli"][0], "--email", people["cli"][1]],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        # 3. HTTP.
        port, token = free_port(), "t" * 32
        gw = settings.model_copy(update={"api_tokens": SecretStr(token)})
        server = uvicorn_server(create_app(gw, client=hb), "127.0.0.1", port)
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.05)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                r = await http.post(
                    "/v1/roles/r-all/candidates",
                    json={
                        "candidate": {
                            "id": "c-http",
                            "name": people["http"][0],
                            "email": people["http"][1],
                        }
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert r.status_code == 201, r.text
        finally:
            server.should_exit = True
            await serving
        # 4. The TypeScript example, through the codec server.
        ran = await asyncio.to_thread(
            subprocess.run,
            ["node", str(TS_EXAMPLE / "dist" / "main.js")],
            capture_output=True, text=True, timeout=120, check=False,
            env={
                **os.environ,
                "HEARDBACK_TEMPORAL_ADDRESS": settings.temporal_address,
                "HEARDBACK_TASK_QUEUE": settings.task_queue,
                "HEARDBACK_CODEC_URL": f"http://127.0.0.1:{settings.codec_port}",
                "HEARDBACK_CODEC_TOKEN": TOKEN,
            },
        )  # fmt: skip
        assert ran.returncode == 0, ran.stdout + ran.stderr
        # 5. The README's temporal commands, word for word.
        write_cli_env(settings, TOKEN, tmp_path / "var" / "temporal-cli.env")
        ran = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-c", readme_cli_block()],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")},
        )  # fmt: skip
        assert "written reasons" in ran.stdout + ran.stderr, ran.stdout + ran.stderr

        ids = {
            "py": "candidacy-r-all-c-py",
            "cli": "candidacy-r-all-c-cli",
            "http": "candidacy-r-all-c-http",
            "ts": "candidacy-r-ts-c-ts",
            "readme": "candidacy-r-7-c-42",
        }
        for wf in ids.values():  # every start went through: each acknowledgement was sent
            for _ in range(200):
                if list(settings.outbox_dir.glob(f"{wf}.*acknowledgement*")):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"{wf} was never acknowledged")

        said = {  # what their interviewers wrote and who they were
            "py": [
                "ivy.interviewer@acme.example",
                "Your whiteboard session was the clearest we saw.",
            ],
            "readme": ["bob@acme.example", "Your system design was clear and well reasoned."],
        }
        # Before erasure: nothing personal in plaintext anywhere but the outbox.
        secrets = [s for pair in people.values() for s in pair] + [
            "ivy.interviewer@acme.example",
            "Your whiteboard session was the clearest we saw.",
            "Your system design was clear and well reasoned.",
        ]
        stored = stack.db_files() + settings.ledger_path.read_bytes()
        logs = capsys.readouterr()
        for secret in secrets:
            assert secret.encode() not in stored, f"{secret!r} at rest before erasure"
            assert secret not in logs.out + logs.err, f"{secret!r} in the logs"

        raw = await Client.connect(settings.temporal_address)  # no codec: what a backup holds
        copies = {k: await history_copy(raw, wf) for k, wf in ids.items()}
        role_copy = await history_copy(raw, "role-r-all")
        reader = codec_from(settings)
        assert reader is not None
        for who in ("py", "readme"):
            assert people[who][0].encode() in await readable_text(reader, copies[who])

        # Erase two: one added through the Role (by the client), one started by the README's
        # commands (by the CLI, as an operator would on the candidate's request).
        done = await hb.erase("r-all", "c-py")
        assert done.data_keys >= 1, done
        ran = await asyncio.to_thread(
            subprocess.run,
            [str(cli), "--json", "erase", "--role", "r-7", "--candidate", "c-42"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout)["data_keys"] >= 1

        # Read the key table as another process would (nothing cached).
        fresh = codec_on(SqliteDataKeys(data_keys_path(settings)), KEY, cache=0)
        for who, copy in copies.items():
            text = await readable_text(fresh, copy)
            name, email = people[who]
            if who in ("py", "readme"):
                for secret in (name, email, *said[who]):
                    assert secret.encode() not in text, (who, secret)
                assert contract.ERASED_MARKER.encode() in text
            else:
                assert name.encode() in text, who  # the others still open
        role_text = await readable_text(fresh, role_copy)
        assert people["py"][0].encode() not in role_text
        assert people["cli"][0].encode() in role_text  # added through the Role too, not erased
        # The Role's history still replays for an operator holding the key.
        await build_replayer(data_converter=data_converter(settings)).replay_workflow(role_copy)
        for who in ("py", "readme"):
            assert not list(settings.outbox_dir.glob(f"{ids[who]}.*"))
            assert ids[who].encode() not in settings.ledger_path.read_bytes()
    # After erasure, the database: none of the erased candidates' data in plaintext.
    stored = stack.db_files()
    for who in ("py", "readme"):
        for secret in people[who]:
            assert secret.encode() not in stored


def test_heardback_keys_rewrap_rewraps_under_the_new_master_key(tmp_path: Path) -> None:
    """The operator's rotation, as documented: new key in front, `heardback keys rewrap`, old
    key gone; the payloads sealed before still open."""
    path = tmp_path / "data-keys.sqlite3"
    sealed = asyncio.run(
        scoped(codec_on(SqliteDataKeys(path), K1), "candidacy-r-1-c-1").encode([json_payload(ADA)])
    )[0]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEARDBACK_")},
        "HEARDBACK_ENCRYPTION_KEYS": f"{K2},{K1}",
        "HEARDBACK_DATA_KEYS_PATH": str(path),
    }
    cli = Path(sys.executable).parent / "heardback"
    ran = subprocess.run(
        [str(cli), "--json", "keys", "rewrap"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["rewrapped"] == 1
    assert asyncio.run(opened(codec_on(SqliteDataKeys(path), K2, cache=0), sealed)) == ADA


async def test_the_retention_sweep_shreds_a_finished_candidacys_data_keys(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Retention uses the same mechanism as erasure on request: after `retention`, the sweep
    destroys the candidacy's data keys (time-skipping server, an encrypting worker)."""
    settings = make_settings(tmp_path, encryption="on", encryption_keys=SecretStr(K1))
    client = await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=data_converter(settings),
    )
    harness = Harness(env=env, client=client, settings=settings)
    async with build_worker(client, settings):
        done = await harness.start(policy={"retention": "P30D", "quiet_hours": None})
        await harness.idle(done)
        await done.execute_update("decide", Decide(outcome="offer"), result_type=UpdateResult)
        await done.execute_update(
            "offer_update", OfferUpdate(event="accepted"), result_type=UpdateResult
        )
        await harness.until(done, lambda s: s.state == "completed")
        table = SqliteDataKeys(data_keys_path(settings))
        assert table.newest(done.id) is not None
        sealed = (await history_copy(env.client, done.id)).events[0]
        start_input = sealed.workflow_execution_started_event_attributes.input.payloads[0]
        await harness.sleep(timedelta(days=31), done)
        result: SweepResult = await client.execute_workflow(
            contract.RETENTION_SWEEP_WORKFLOW,
            id=f"sweep-{uuid.uuid4().hex[:6]}",
            task_queue=settings.task_queue,
            result_type=SweepResult,
        )
    assert (result.candidacies, result.data_keys) == (1, 1)
    assert table.newest(done.id) is None
    reader = codec_on(SqliteDataKeys(data_keys_path(settings)), K1, cache=0)
    assert await opened(reader, start_input) == {contract.ERASED_MARKER: done.id}
