"""Recorded histories of released workflow versions must replay on the current code.

1.0 is the first release whose histories are kept (tests/histories/1.0/). A failure here means a
change would break workflows that are already running (a candidacy lives for weeks): make it
through `workflow.patched` instead, and record the new release's histories beside the old ones
(README, "Changing workflow code").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from heardback.worker.wiring import build_replayer

# tests/histories/<release>/<workflow id>[@continued].json
HISTORIES = sorted((Path(__file__).parent / "histories").glob("*/*.json"))


def test_there_is_a_recorded_history_to_replay() -> None:
    assert HISTORIES, "tests/histories/ must hold at least one recorded history"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem.split("@")[0], path.read_text())
    replayer = build_replayer()
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
