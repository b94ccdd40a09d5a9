"""Metrics: the Prometheus runtime and heardback's own counters.

Metrics: the Temporal SDK runtime serves Prometheus on `HEARDBACK_METRICS_ADDRESS` (its own
`temporal_*` series: task latencies, slots, polls, ...), and heardback's own series go through the
same meter, so one scrape gets both:

- `heardback_messages_delivered_total{kind}`: messages handed to the mail system.
- `heardback_delivery_failures_total{reason}`: `transient` (retried), `undeliverable` (refused for
  good, escalated), `busy` (another attempt held the message).
- `heardback_delivery_retries_total`: delivery attempts after the first.
- `heardback_candidacies_open` and `heardback_obligations_overdue`: kept by the worker from
  visibility (:mod:`heardback.worker.health`).
"""

from __future__ import annotations

from temporalio import activity
from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


def build_runtime(metrics_address: str | None) -> Runtime | None:
    """A runtime exporting Prometheus metrics, or None (the SDK's default, no export)."""
    if not metrics_address:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=metrics_address, counters_total_suffix=True)
        )
    )


def _meter() -> MetricMeter:
    try:
        return activity.metric_meter()
    except RuntimeError:  # outside an activity (unit tests)
        return MetricMeter.noop


def delivered(kind: str) -> None:
    _meter().create_counter(
        "heardback_messages_delivered", "messages handed to the mail system"
    ).add(1, {"kind": kind})


def delivery_failed(reason: str) -> None:
    _meter().create_counter(
        "heardback_delivery_failures", "delivery attempts that failed, by reason"
    ).add(1, {"reason": reason})


def delivery_retried() -> None:
    _meter().create_counter("heardback_delivery_retries", "delivery attempts after the first").add(
        1
    )
