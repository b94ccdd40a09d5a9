"""The one data converter every heardback process uses: clients, workers, replayers, gateway.

`DATA_CONVERTER` is plain pydantic JSON; `data_converter(settings)` adds payload encryption when
keys are configured (see :mod:`heardback.runtime.codec`).
"""

from __future__ import annotations

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
    return with_encryption(DATA_CONVERTER, codec_from(settings))
