"""The one data converter every heardback process uses: clients, workers, replayers, gateway.

`DATA_CONVERTER` is plain pydantic JSON; `data_converter(settings)` adds payload encryption (see
:mod:`heardback.runtime.codec`), and refuses to build a plaintext one unless encryption is
explicitly off.
"""

from __future__ import annotations

import functools
from pathlib import Path

import structlog
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from heardback.runtime.codec import EncryptionCodec, EnvelopeCodec, parse_keys, with_encryption
from heardback.runtime.datakeys import (
    DataKeys,
    DataKeyTable,
    LocalKeyWrapper,
    PostgresDataKeys,
    SqliteDataKeys,
)
from heardback.runtime.settings import Settings, data_keys_path, encryption_keys

DATA_CONVERTER = pydantic_data_converter


def codec_from(settings: Settings) -> EnvelopeCodec | None:
    """The payload codec for these settings (None when encryption is off): data keys per
    subject in the key table beside the ledger, wrapped by the configured master keys."""
    spec = encryption_keys(settings)
    if spec is None:
        return None
    if settings.ledger == "postgres" and settings.ledger_dsn is not None:
        where = ("postgres", settings.ledger_dsn.get_secret_value())
    else:
        where = ("sqlite", str(data_keys_path(settings).resolve()))
    keys = _data_keys(where, spec, settings.encryption_key_id)
    return EnvelopeCodec(keys, EncryptionCodec(parse_keys(spec), settings.encryption_key_id))


@functools.lru_cache(maxsize=8)
def _data_keys(where: tuple[str, str], spec: str, active: str | None) -> DataKeys:
    """One key table (and cache) per process and place: the worker's client, its activities
    and the gateway's codec share what they have unwrapped."""
    kind, location = where
    table: DataKeyTable = (
        PostgresDataKeys(location) if kind == "postgres" else SqliteDataKeys(Path(location))
    )
    return DataKeys(table, LocalKeyWrapper(parse_keys(spec), active))


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
