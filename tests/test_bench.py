"""The benchmark harness works: a tiny configuration, figures not asserted (not a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.devserver


def test_the_role_close_benchmark_runs_and_tells_every_candidate() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.role_close", "--candidates", "5"],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index("{")
    result = json.loads(done.stdout[start : done.stdout.index("}", start) + 1])
    assert result["candidates"] == 5
    assert result["heardback_close_to_all_told_s"] > 0
    assert result["baseline_signal_to_done_s"] > 0
