"""The codec server: lets an authorised operator read encrypted payloads in the Temporal UI and in
`temporal workflow show --codec-endpoint ... --codec-auth "Bearer <token>"`.

Temporal's remote-codec protocol: ``POST /encode`` and ``POST /decode`` take and return
``{"payloads": [...]}`` (payloads in protobuf JSON); ``POST /w/{workflow_id}/encode`` seals them
with that workflow's data key (a candidacy's own, so erasure shreds them). CORS admits the UI's
origin(s). Every call
needs ``Authorization: Bearer <token>`` (HEARDBACK_CODEC_TOKENS, else the gateway's tokens),
except, when ``codec_trust_ui_origin`` is on (the local `make run` stack only), calls from the UI's
own origin, because the local dev UI cannot send a token.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.converter import (
    PayloadCodec,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from heardback.runtime.converter import codec_from
from heardback.runtime.settings import Settings, codec_tokens
from heardback.workflows.errors import EncryptionKeyError

ID = re.compile(r"[A-Za-z0-9._-]{1,200}")


def create_codec_app(settings: Settings, codec: PayloadCodec | None = None) -> FastAPI:
    codec = codec or codec_from(settings)
    if codec is None:
        raise ValueError("the codec server needs encryption keys (HEARDBACK_ENCRYPTION_KEYS)")
    accepted = [t.encode() for t in codec_tokens(settings)]
    origins = [o.strip() for o in settings.codec_cors_origins.split(",") if o.strip()]
    app = FastAPI(title="heardback codec server", openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        allow_credentials=True,
    )

    def authorised(request: Request) -> bool:
        if settings.codec_trust_ui_origin and request.headers.get("origin") in origins:
            return True
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return False
        matched = False
        for token in accepted:
            matched |= hmac.compare_digest(token, given.strip().encode())
        return matched

    async def transform(request: Request, encode: bool, workflow_id: str | None = None) -> Response:
        if not authorised(request):
            return JSONResponse(
                {"error": "unauthorized", "message": "send Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, ValueError, UnicodeDecodeError):
            return JSONResponse(
                {"error": "bad_request", "message": 'expected {"payloads": [...]}'},
                status_code=400,
            )
        assert codec is not None
        scoped = codec
        if workflow_id is not None:
            if not ID.fullmatch(workflow_id):
                return JSONResponse(
                    {
                        "error": "bad_request",
                        "message": "the workflow id is 1-200 of A-Z a-z 0-9 . _ -",
                    },
                    status_code=400,
                )
            if isinstance(codec, WithSerializationContext):
                scoped = codec.with_context(
                    WorkflowSerializationContext(
                        namespace=request.headers.get("x-namespace", ""), workflow_id=workflow_id
                    )
                )
        try:
            out = await (scoped.encode if encode else scoped.decode)(payloads.payloads)
        except EncryptionKeyError as err:
            return JSONResponse({"error": "undecodable", "message": str(err)}, status_code=422)
        body: dict[str, Any] = json_format.MessageToDict(Payloads(payloads=out))
        return Response(json.dumps(body), media_type="application/json")

    @app.post("/encode")
    async def encode(request: Request) -> Response:
        return await transform(request, encode=True)

    @app.post("/decode")
    async def decode(request: Request) -> Response:
        return await transform(request, encode=False)

    # The same, for one workflow: its payloads are sealed with that candidacy's own data key,
    # so erasing the candidate makes them unreadable (a client names the workflow in the path,
    # e.g. TEMPORAL_CODEC_ENDPOINT=.../w/candidacy-r-7-c-42).
    @app.post("/w/{workflow_id}/encode")
    async def encode_for(workflow_id: str, request: Request) -> Response:
        return await transform(request, encode=True, workflow_id=workflow_id)

    @app.post("/w/{workflow_id}/decode")
    async def decode_for(workflow_id: str, request: Request) -> Response:
        return await transform(request, encode=False, workflow_id=workflow_id)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
