"""The one data converter every heardback process uses: clients, workers, replayers, gateway.

`DATA_CONVERTER` is plain pydantic JSON; `data_converter(settings)` adds payload encryption when
keys are configured (see :mod:`worker.codec`).
"""

from __future__ import annotations

from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import TLSConfig

from worker.codec import EncryptionCodec, parse_keys, with_encryption
from worker.settings import Settings, encryption_keys

DATA_CONVERTER = pydantic_data_converter


def codec_from(settings: Settings) -> EncryptionCodec | None:
    spec = encryption_keys(settings)
    if spec is None:
        return None
    return EncryptionCodec(parse_keys(spec), settings.encryption_key_id)


def data_converter(settings: Settings) -> DataConverter:
    return with_encryption(DATA_CONVERTER, codec_from(settings))


def connect_options(settings: Settings) -> dict[str, Any]:
    """`Client.connect` keyword arguments for a TLS cluster (mTLS or API key), from settings."""
    options: dict[str, Any] = {}
    cert, key, ca = (
        settings.temporal_tls_cert_path,
        settings.temporal_tls_key_path,
        settings.temporal_tls_ca_path,
    )
    if settings.temporal_api_key is not None:
        options["api_key"] = settings.temporal_api_key.get_secret_value()
    if settings.temporal_tls or cert or settings.temporal_api_key is not None:
        options["tls"] = TLSConfig(
            client_cert=cert.read_bytes() if cert else None,
            client_private_key=key.read_bytes() if key else None,
            server_root_ca_cert=ca.read_bytes() if ca else None,
        )
    return options
