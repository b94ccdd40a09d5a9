"""Personal data stays private: encrypted payloads (codec, rotation, codec server) and nothing
personal at rest in Temporal's own database, in search attributes, workflow ids or logs."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from heardback.activities.ledger import SqliteLedger
from heardback.gateway.codec_server import create_codec_app
from heardback.runtime.codec import EncryptionCodec, new_key_spec, parse_keys
from heardback.runtime.converter import data_converter
from heardback.starter.client import HeardbackClient
from heardback.worker.wiring import build_replayer
from heardback.workflows import contract
from heardback.workflows.errors import EncryptionKeyError
from heardback.workflows.models import (
    CandidacyInput,
    Decide,
    InterviewCompleted,
    OfferUpdate,
    Status,
    SubmitFeedback,
    SweepResult,
    UpdateResult,
)
from tests.conftest import (
    Harness,
    SmtpSink,
    WorkerProcess,
    body_of,
    free_port,
    make_settings,
    start_devserver_on_file,
)

KEY_1 = new_key_spec("k1")
KEY_2 = new_key_spec("k2")


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_payloads_are_sealed_and_keys_rotate() -> None:
    old = EncryptionCodec(parse_keys(KEY_1))
    [sealed] = await old.encode([plain("ada@example.org")])
    assert b"ada@example.org" not in sealed.SerializeToString()
    assert sealed.metadata["encryption-key-id"] == b"k1"

    # Rotation: k2 in front is now active, k1 still decrypts what it sealed.
    rotated = EncryptionCodec(parse_keys(f"{KEY_2},{KEY_1}"))
    assert rotated.active_key_id == "k2"
    [opened] = await rotated.decode([sealed])
    assert opened == plain("ada@example.org")
    [resealed] = await rotated.encode([opened])
    assert resealed.metadata["encryption-key-id"] == b"k2"

    # Without k1, its payloads are refused by name, not garbled.
    only_new = EncryptionCodec(parse_keys(KEY_2))
    with pytest.raises(EncryptionKeyError, match="'k1'"):
        await only_new.decode([sealed])
    # Tampering, or relabelling with another key id, fails authentication.
    forged = Payload()
    forged.CopyFrom(sealed)
    forged.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(EncryptionKeyError, match="authentication"):
        await rotated.decode([forged])
    # Plaintext written before encryption was turned on still decodes.
    assert await rotated.decode([plain("x")]) == [plain("x")]


def test_bad_key_settings_are_refused_clearly() -> None:
    with pytest.raises(EncryptionKeyError, match="32 bytes"):
        parse_keys("k1:" + base64.b64encode(b"short").decode())
    with pytest.raises(EncryptionKeyError, match="base64"):
        parse_keys("k1:not-base64!")
    with pytest.raises(EncryptionKeyError, match="id:base64key"):
        parse_keys("justakey")
    with pytest.raises(EncryptionKeyError, match="not among"):
        EncryptionCodec(parse_keys(KEY_1), "k9")


async def test_codec_server_decodes_for_authorised_callers_only(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        encryption="on",
        encryption_keys=KEY_1,
        codec_tokens="codec-tok",
        codec_cors_origins="http://localhost:8233",
    )
    app = create_codec_app(settings)
    codec = EncryptionCodec(parse_keys(KEY_1))
    [sealed] = await codec.encode([plain("Ada Lovelace")])
    b64 = {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()}
    body = {"payloads": [{"metadata": b64, "data": base64.b64encode(sealed.data).decode()}]}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://codec") as c:
        assert (await c.post("/decode", json=body)).status_code == 401
        wrong = await c.post("/decode", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        # The UI's origin alone is not enough unless the stack trusts it (local only).
        ui = {"Origin": "http://localhost:8233"}
        assert (await c.post("/decode", json=body, headers=ui)).status_code == 401

        auth = {"Authorization": "Bearer codec-tok"}
        r = await c.post("/decode", json=body, headers=auth)
        assert r.status_code == 200
        [out] = r.json()["payloads"]
        assert json.loads(base64.b64decode(out["data"])) == "Ada Lovelace"
        r = await c.post("/encode", json=r.json(), headers=auth)
        assert base64.b64decode(r.json()["payloads"][0]["metadata"]["encoding"]) == (
            b"binary/encrypted"
        )
        assert (await c.post("/decode", content=b"nonsense", headers=auth)).status_code == 400

        # CORS: the UI origin may call from the browser, another origin may not.
        pre = {"Access-Control-Request-Method": "POST"}
        ok = await c.options("/decode", headers={**pre, **ui})
        assert ok.headers["access-control-allow-origin"] == "http://localhost:8233"
        other = await c.options("/decode", headers={**pre, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers

    trusting = create_codec_app(settings.model_copy(update={"codec_trust_ui_origin": True}))
    transport = httpx.ASGITransport(app=trusting)
    async with httpx.AsyncClient(transport=transport, base_url="http://codec") as c:
        assert (await c.post("/decode", json=body, headers=ui)).status_code == 200


@pytest.mark.devserver
async def test_nothing_personal_at_rest_in_temporals_database(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    """A whole candidacy through an encrypting worker process; then the dev server's SQLite
    file holds its ids but no name, email or feedback line, and neither do its search
    attributes, its workflow id or the worker's log."""
    db = tmp_path / "temporal.db"
    port = free_port()
    env = await start_devserver_on_file(db, port)
    settings = make_settings(tmp_path, encryption="on", encryption_keys=KEY_1)
    worker = WorkerProcess(
        port,
        tmp_path,
        smtp,
        extra_env={"HEARDBACK_ENCRYPTION": "on", "HEARDBACK_ENCRYPTION_KEYS": KEY_1},
    )
    secrets = [
        "Ottilie Quaglieri",
        "ottilie.q@private.example",
        "Your whiteboard session was the clearest we saw.",
        "We will send the contract on Monday.",
        "ivy.interviewer@acme.example",
    ]
    try:
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=data_converter(settings))
        hb = HeardbackClient(client, task_queue=worker.task_queue)
        inp = CandidacyInput.model_validate(
            {
                "role": {
                    "id": "r-priv",
                    "title": "Engineer",
                    "company": "Acme",
                    "contact_email": "hiring@acme.example",
                },
                "candidate": {"id": "c-priv", "name": secrets[0], "email": secrets[1]},
                "policy": {"quiet_hours": None},  # independent of the hour it runs at
            }
        )
        workflow_id = await hb.start_candidacy(inp)
        await hb.record_interview(
            "r-priv",
            "c-priv",
            InterviewCompleted(
                interview_id="i-1",
                stage="onsite",
                interviewer_email=secrets[4],
                duration=timedelta(hours=2),
            ),
        )
        for _ in range(100):
            if (await hb.status("r-priv", "c-priv")).interviews:
                break
            await asyncio.sleep(0.1)
        await hb.submit_feedback(
            "r-priv", "c-priv", SubmitFeedback(interview_id="i-1", feedback=[secrets[2]])
        )
        await hb.decide("r-priv", "c-priv", Decide(outcome="offer", feedback=[secrets[3]]))
        await hb.offer_update("r-priv", "c-priv", OfferUpdate(event="accepted"))
        handle = client.get_workflow_handle(workflow_id, result_type=Status)
        final = await asyncio.wait_for(handle.result(), 60)
        assert final.state == "completed" and final.outcome == "offer"
        # The candidate got the mail in plain words: encryption is at rest only.
        smtp.handler.learn(final)
        offers = smtp.handler.of_kind("offer")
        assert any(secrets[0].split()[0] in body_of(m) for m in offers)
        desc = await handle.describe()
        attrs = " ".join(str(p.value) for p in desc.typed_search_attributes)
        # The replayer decrypts with the same converter, and the history replays.
        history = await handle.fetch_history()
        await build_replayer(data_converter=data_converter(settings)).replay_workflow(history)
    finally:
        worker.stop()
        await env.shutdown()  # flushes the database file

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("temporal.db*"))
    assert workflow_id.encode() in stored  # the right file: ids are there
    assert b"binary/encrypted" in stored
    for secret in secrets:
        for form in (secret, secret.lower(), json.dumps(secret)[1:-1]):
            assert form.encode() not in stored, f"{secret!r} found at rest"
        assert secret not in attrs and secret not in workflow_id
        assert secret not in worker.log.read_text()


async def test_personal_data_is_swept_after_retention(harness: Harness) -> None:
    """Once a candidacy is over, its stored messages go after `retention` (the retention
    sweep), and only its own: a running candidacy is kept even where its rows are due."""
    done = await harness.start(policy={"retention": "P30D"})
    # Running, silent for the whole test, with its one row due after a day.
    still_open = await harness.start(
        policy={"retention": "P1D", "max_silence": "P60D", "decision_due": "P60D"}
    )
    await harness.idle(done)
    await harness.idle(still_open)
    await done.execute_update("decide", Decide(outcome="offer"), result_type=UpdateResult)
    await done.execute_update(
        "offer_update", OfferUpdate(event="accepted"), result_type=UpdateResult
    )
    await harness.until(done, lambda s: s.state == "completed")  # no time skipped meanwhile

    def files(handle: Any) -> list[Path]:
        return sorted(harness.outbox.glob(f"{handle.id}.*.eml"))

    async def sweep() -> SweepResult:
        result: SweepResult = await harness.client.execute_workflow(
            contract.RETENTION_SWEEP_WORKFLOW,
            id=f"sweep-{uuid.uuid4().hex[:6]}",
            task_queue=harness.settings.task_queue,
            result_type=SweepResult,
        )
        return result

    kept = files(done)
    assert [p.name.split(".")[2] for p in kept] == ["acknowledgement", "offer"]
    ledger = SqliteLedger(harness.settings.ledger_path)
    await harness.sleep(timedelta(days=29), still_open)
    early = await sweep()
    assert (early.candidacies, early.still_running) == (0, 1)
    assert files(done) == kept  # not before its time

    await harness.sleep(timedelta(days=2), still_open)
    result = await sweep()
    assert (result.candidacies, result.files, result.ledger_rows) == (1, 2, 2)
    assert result.still_running == 1
    assert files(done) == []
    assert await ledger.get(f"{done.id}.001.offer") is None
    assert files(still_open)  # running: its messages stay
    assert await ledger.get(f"{still_open.id}.000.acknowledgement") is not None
