"""The one data converter every heardback process uses: clients, workers, replayers, gateway.

`DATA_CONVERTER` is plain pydantic JSON; `data_converter(settings)` adds payload encryption (see
:mod:`heardback.runtime.codec`), and refuses to build a plaintext one unless encryption is
explicitly off.
"""

from __future__ import annotations

import structlog
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from heardback.runtime.codec import EncryptionCodec, parse_keys, with_encryption
from heardback.runtime.settings import Settings, encryption_keys

DATA_CONVERTER = pydantic_data_converter


def codec_from(settings: Settings) -> EncryptionCodec | None:
    spec = encryption_keys(settings)
    if spec is None:
        return None
    return EncryptionCodec(parse_keys(spec), settings.encryption_key_id)


def data_converter(settings: Settings) -> DataConverter:
    """The converter for these settings: encrypting, or (HEARDBACK_ENCRYPTION=off, said at
    every start) plaintext; without keys it refuses (ValueError)."""
    codec = codec_from(settings)
    if codec is None:
        structlog.get_logger("heardback.encryption").warning(
            "encryption_off",
            detail="HEARDBACK_ENCRYPTION=off: payloads reach Temporal unencrypted",
        )
    return with_encryption(DATA_CONVERTER, codec)
