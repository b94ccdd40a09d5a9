"""Recorded histories of released workflow versions must replay on the current code.

A failure here means a change would break candidacies that are already running (they live for
weeks): guard the change with `workflow.patched` instead. See the README.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from worker.wiring import DATA_CONVERTER, WORKFLOWS

# tests/histories/<release>/<workflow id>.json
HISTORIES = sorted((Path(__file__).parent / "histories").glob("*/*.json"))


def test_there_is_a_recorded_history_to_replay() -> None:
    assert HISTORIES, "tests/histories/ must hold at least one recorded history"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
