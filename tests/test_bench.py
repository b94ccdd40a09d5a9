"""The benchmark harness works: a tiny configuration, figures not asserted (not a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.devserver


def bench(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run one benchmark as a user does (`python -m bench.X ...`); it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_the_role_close_benchmark_runs_and_tells_every_candidate() -> None:
    done = bench("bench.role_close", "--candidates", "5", timeout=150)
    start = done.stdout.rindex('{\n  "candidates"')
    result, _ = json.JSONDecoder().raw_decode(done.stdout[start:])
    assert result["candidates"] == 5
    assert result["heardback_close_to_all_told_s"] > 0
    assert result["baseline_signal_to_done_s"] > 0
    # everyone told exactly once: what the worker's transport handed over, per message
    assert result["role_closed_sent"] == 5 and result["role_closed_twice"] == 0


def test_the_role_add_benchmark_runs_and_the_role_counts_everyone() -> None:
    done = bench("bench.role_add", "--candidates", "5", timeout=150)
    start = done.stdout.rindex('{\n  "candidates"')
    result, _ = json.JSONDecoder().raw_decode(done.stdout[start:])
    assert result["candidates"] == 5
    assert result["batch_refused"] == 0
    # CPU per candidate measured for each way, and the bound it sets on this machine
    assert set(result["cpu_ms_per_candidate"]) == {"one_by_one", "batch", "raw"}
    assert result["one_by_one_s"] > 0 and result["batch_s"] > 0 and result["raw_starts_s"] > 0


def test_the_lifecycle_benchmark_runs_and_delivers_everything(tmp_path: Path) -> None:
    notes = tmp_path / "PERFORMANCE.md"
    notes.write_text(
        "| date | lifecycles | rounds | raw Temporal | ... |\n| --- |\n"
        "| an earlier row |\n\nProse.\n"
    )
    done = bench(
        "bench.lifecycle",
        "--candidacies",
        "4",
        "--open",
        "4",
        "--latency-samples",
        "2",
        "--rounds",
        "3",
        "--warmup",
        "1",
        "--record",
        str(notes),
        timeout=150,
    )
    result = json.loads(done.stdout[done.stdout.index("{\n") :])
    assert result["candidacies"] == 4
    assert result["messages_missing"] == 0 and result["messages_twice"] == 0
    assert result["heardback_history"]["events_per_lifecycle"] > 0
    assert result["worker_rss_mb_with_open"] > 0
    assert result["rounds"] == 3
    # The default install (encryption on) and encryption off, measured in the same run.
    assert result["encryption"] == "both" and result["plain_per_s"] > 0
    assert result["cpu_ratio"] > 0 and result["plain_cpu_ratio"] > 0
    assert result["first_response_load_p95_ms"] is not None
    assert result["decision_to_delivered_load_p95_ms"] is not None
    # What a lifecycle asks of the server: payload bytes as stored, and the server's own count
    # of its store requests and visibility writes (a baseline lifecycle: a start and a close).
    assert (
        result["heardback_history"]["payload_bytes_per_lifecycle"]
        > result["baseline_history"]["payload_bytes_per_lifecycle"]
        > 0
    )
    assert result["server_requests"]["baseline"]["visibility_writes"] >= 2
    assert result["server_requests"]["heardback"]["store_requests"] > 0
    lines = notes.read_text().splitlines()
    assert lines[2] == "| an earlier row |" and lines[3].startswith(f"| {result['date']} | 4 |")
    assert lines[-1] == "Prose."  # the new row went into the table, not after the prose


def test_the_two_worker_benchmark_runs_on_the_shared_ledger_without_duplicates() -> None:
    done = bench("bench.two_workers", "--candidacies", "5", "--runs", "2", timeout=240)
    start = done.stdout.rindex('{\n  "configs"')
    result = json.loads(done.stdout[start:])
    # two pairs, the order alternating (1 then 2, 2 then 1), each figure the median of both
    assert [(c["workers"], c["run"]) for c in result["configs"]] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    for c in result["configs"]:
        assert c["messages_received"] == 15 and c["duplicates"] == 0
    assert len(result["two_vs_one_each_run"]) == 2 and result["median"]["2"]["runs"] == 2


def test_the_server_steps_probe_runs_both_sides_through_every_step() -> None:
    done = bench("bench.server_steps", "--candidacies", "2", timeout=180)
    summary = json.loads(done.stdout[done.stdout.index("{\n") :])
    steps = ["start", "interview 1", "advance", "interview 2", "reject", "completion"]
    assert list(summary)[: len(steps)] == steps
    for step in steps:
        assert set(summary[step]) == {"heardback", "baseline"}
    # each side's start created its workflow execution, once per lifecycle
    for side in ("heardback", "baseline"):
        assert summary["start"][side]["by_operation"]["CreateWorkflowExecution"] == 1.0


def test_the_replay_profile_replays_a_recorded_role_and_names_where_its_time_goes() -> None:
    history = Path(__file__).parent / "histories" / "1.8" / "role-r-role.json"
    done = bench("bench.replay_profile", str(history), "--top", "10", timeout=120)
    assert done.stdout.startswith("replayed ") and "(no failure)" in done.stdout
    assert "cumulative" in done.stdout  # the profile's table follows
