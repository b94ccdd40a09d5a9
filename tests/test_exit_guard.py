"""The interpreter-exit guard leaves with pytest's *final* status, whatever decided it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LATE_FAILURE = """
import pytest

@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    # As --max-warnings does: the run passed, then a plugin decides it failed after all.
    session.exitstatus = 3
"""


def run_pytest(tmp_path: Path, test: str, conftest: str = "") -> int:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_it.py").write_text(test, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.exit_guard",
            "-c",
            str(tmp_path / "pytest.ini"),
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode


@pytest.mark.parametrize(
    ("test", "expected"),
    [("def test_ok():\n    pass\n", 0), ("def test_bad():\n    assert False\n", 1)],
)
def test_the_guard_exits_with_the_status_pytest_reports(
    tmp_path: Path, test: str, expected: int
) -> None:
    assert run_pytest(tmp_path, test) == expected


def test_a_status_changed_after_the_tests_ran_is_the_one_the_process_exits_with(
    tmp_path: Path,
) -> None:
    assert run_pytest(tmp_path, "def test_ok():\n    pass\n", LATE_FAILURE) == 3
