"""Payload encryption: AES-256-GCM, so candidates' names, emails and feedback are never plaintext
in Temporal's persistence (or its UI, unless an operator decodes through the codec server).

Since 1.3 every payload is sealed with a data key of its own subject (:class:`EnvelopeCodec`, see
:mod:`heardback.runtime.datakeys`), so erasing a candidate makes their payloads unreadable
everywhere. The master keys below then only wrap data keys; payloads sealed directly with a
master key (by 1.0 to 1.2) still decode with it.

Keys are named: ``HEARDBACK_ENCRYPTION_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>"``. New
payloads are encrypted with the active key (``HEARDBACK_ENCRYPTION_KEY_ID``, default the first
listed); every listed key still decrypts, so a key is rotated by adding a new one in front and
removing the old one only once no history that needs it is retained. Each payload records its key
id; the key id is also the AES-GCM associated data, so a payload cannot be passed off under
another key's name.

Payloads without the encrypted encoding (written before encryption was turned on) decode as they
are, so turning encryption on does not strand running candidacies.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import json
import os
from collections.abc import Sequence
from typing import Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from heardback.runtime.datakeys import DataKeys, KeyErased, subject_of
from heardback.workflows.contract import ERASED_MARKER
from heardback.workflows.errors import EncryptionKeyError

ENCODING = b"binary/encrypted"
CIPHER = b"AES-256-GCM"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


def parse_keys(text: str) -> dict[str, bytes]:
    """``id:base64,id:base64`` -> {id: 32-byte key}, in the order given."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id:
            raise EncryptionKeyError("encryption keys are 'id:base64key' pairs, comma-separated")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as err:
            raise EncryptionKeyError(f"encryption key {key_id!r} is not base64") from err
        if len(key) != 32:
            raise EncryptionKeyError(
                f"encryption key {key_id!r} must be 32 bytes (AES-256), not {len(key)}"
            )
        keys[key_id] = key
    if not keys:
        raise EncryptionKeyError("no encryption keys given")
    return keys


def new_key_spec(key_id: str = "k1") -> str:
    """A fresh key in the settings format (what `make run` generates into var/)."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes], active: str | None = None) -> None:
        if not keys:
            raise EncryptionKeyError("no encryption keys given")
        self._active = active or next(iter(keys))
        if self._active not in keys:
            raise EncryptionKeyError(f"active key id {self._active!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    @property
    def active_key_id(self) -> str:
        return self._active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        key_id = self._active.encode()
        sealed = self._ciphers[self._active].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(
            metadata={"encoding": ENCODING, "encryption-cipher": CIPHER, KEY_ID: key_id},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # plaintext from before encryption was turned on
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise EncryptionKeyError(
                f"payload encrypted with key {key_id!r}, which is not configured"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
        except InvalidTag as err:
            raise EncryptionKeyError(f"payload under key {key_id!r} failed authentication") from err
        return Payload.FromString(plain)


DATA_KEY_PREFIX = "d-"


class EnvelopeCodec(PayloadCodec, WithSerializationContext):
    """Seals each payload with its subject's data key (AES-256-GCM, the data key's id in the
    metadata and as associated data); opens payloads sealed by data keys and, for histories
    written before 1.3, by master keys. The serialization context (which workflow a payload
    belongs to) picks the subject; without one (the codec server) the payload itself may say.

    A payload whose data key was destroyed decodes to ``{"heardback_erased": <subject>}``: the
    rest of its history still replays (a Role that once added an erased candidate), and the
    operator sees why that payload is gone."""

    def __init__(
        self,
        keys: DataKeys,
        legacy: EncryptionCodec | None = None,
        workflow_id: str | None = None,
    ) -> None:
        self.keys = keys
        self._legacy = legacy
        self._workflow_id = workflow_id

    def with_context(self, context: SerializationContext) -> Self:
        workflow_id: str | None = None
        if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
            workflow_id = context.workflow_id
        return type(self)(self.keys, self._legacy, workflow_id)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [await self._seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [await self._open(p) for p in payloads]

    async def _seal(self, payload: Payload) -> Payload:
        subject = subject_of(self._workflow_id, payload.data, payload.metadata.get("encoding", b""))
        found = self.keys.cached(subject)
        if found is None:
            found = await asyncio.to_thread(self.keys.for_subject, subject)
        key_id, cipher = found
        nonce = os.urandom(NONCE_BYTES)
        sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, "encryption-cipher": CIPHER, KEY_ID: key_id.encode()},
            data=nonce + sealed,
        )

    async def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # plaintext from before encryption was turned on
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        if not key_id.startswith(DATA_KEY_PREFIX):
            if self._legacy is None:
                raise EncryptionKeyError(f"payload sealed by master key {key_id!r}: none given")
            return self._legacy.decrypt(payload)
        try:
            cipher = self.keys.cached_id(key_id)
            if cipher is None:
                cipher = await asyncio.to_thread(self.keys.by_id, key_id)
        except KeyErased as erased:
            return Payload(
                metadata={"encoding": b"json/plain"},
                data=json.dumps({ERASED_MARKER: erased.subject}).encode(),
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
        except InvalidTag as err:
            raise EncryptionKeyError(f"payload under key {key_id!r} failed authentication") from err
        return Payload.FromString(plain)


def with_encryption(base: DataConverter, codec: PayloadCodec | None) -> DataConverter:
    """The data converter with payloads encrypted and failure messages moved into the
    (encrypted) encoded attributes, so an error text never leaks an address either."""
    if codec is None:
        return base
    return dataclasses.replace(
        base,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
