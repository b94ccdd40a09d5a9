"""Where a workflow's own CPU goes: replay a saved history offline under cProfile.

    python -m bench.role_size --candidates 5000 --signals 1000 --save-histories /tmp/h
    python -m bench.replay_profile /tmp/h/role-size.1.json [--top 45]

Replays the history with heardback's replayer (the worker's sandbox and data converter, no
server, no other work in the process), so the time is the workflow code's and the SDK's around
it, and prints the replay's duration and the costliest calls by cumulative time. A diagnostic
for the notes, not a figure of its own.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

from temporalio.client import WorkflowHistory

from heardback.runtime.temporal import run_and_exit
from heardback.worker.wiring import build_replayer


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("history", type=Path, help="a history as JSON (the UI's or the CLI's)")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    history = WorkflowHistory.from_json(args.history.stem, args.history.read_text())
    replayer = build_replayer()
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    profile.disable()
    took = time.perf_counter() - t0
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    sys.stdout.write(
        f"replayed {len(history.events)} events in {took:.2f} s"
        f" ({'failed: ' + str(result.replay_failure) if result.replay_failure else 'no failure'})\n"
    )
    sys.stdout.write(out.getvalue())
    return 1 if result.replay_failure else 0


if __name__ == "__main__":
    run_and_exit(main)
