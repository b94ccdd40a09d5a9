"""The one data converter every heardback process uses: clients, workers, replayers, gateway."""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter

DATA_CONVERTER = pydantic_data_converter
