"""Payload encryption: AES-256-GCM, so candidates' names, emails and feedback are never plaintext
in Temporal's persistence (or its UI, unless an operator decodes through the codec server).

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

import base64
import binascii
import dataclasses
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

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


def with_encryption(base: DataConverter, codec: EncryptionCodec | None) -> DataConverter:
    """The data converter with payloads encrypted and failure messages moved into the
    (encrypted) encoded attributes, so an error text never leaks an address either."""
    if codec is None:
        return base
    return dataclasses.replace(
        base,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
