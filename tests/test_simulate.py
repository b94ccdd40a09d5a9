"""The simulated hiring month: a tiny month runs end to end (the harness works), its script is
replayable from the seed, and the measurement reads what was delivered.

The tiny month is not a benchmark and asserts no figure of the full month; it asserts what
heardback promises every candidate, on the mail the local server received: each heard an
outcome, none waited more than 7 days for news, no survey came before their outcome and
feedback, and feedback written through the page or a reply reached them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bench.sim_measure import Delivered, measure, render_markdown
from bench.sim_script import Params, build


def test_the_script_is_replayable_from_its_seed() -> None:
    small = Params(roles=3, applicants=60)
    assert build(small).digest() == build(small).digest()
    assert build(small).digest() != build(Params(roles=3, applicants=60, seed=5)).digest()
    script = build(small)
    # Nothing happens to a candidate after their role closed, except an offer being settled.
    closed = {a.role: a.at for a in script.actions if a.kind == "close_role"}
    assert set(closed) == set(script.roles)
    for a in script.actions:
        if a.kind in ("apply", "interview", "decide", "withdraw"):
            assert a.at <= closed[a.role]


def test_silence_is_measured_from_the_application_to_the_outcome() -> None:
    params = Params(roles=1, applicants=4, weeks=1, tail_days=14)
    script = build(params)
    key, who = next(iter(script.applicants.items()))
    ack = Delivered(who.role, key, "acknowledgement", who.email, who.applied_at, "Thanks")
    late = Delivered(
        who.role, key, "rejection", who.email, who.applied_at + timedelta(days=9), "No"
    )
    staff = Delivered(who.role, key, "feedback_reminder", "someone@company.example", ack.at, "")
    m = measure(script, [ack, late, staff], channels={})
    # this candidate heard an outcome after 9 days of silence; the others heard nothing at all
    withdrew = {a.candidate for a in script.actions if a.kind == "withdraw"}
    assert m["never_heard_outcome"] == sum(
        k != key and k not in withdrew for k in script.applicants
    )
    assert m["silent_over_7_days"] >= 1
    assert m["longest_silence_days"]["max"] >= 9
    assert m["messages_per_candidate"]["max"] == 2  # the reminder went to staff, not to them


def test_the_report_rewrites_only_its_own_block(tmp_path: Path) -> None:
    notes = tmp_path / "SIMULATION.md"
    notes.write_text(
        "# Notes\n\n<!-- simulation:begin -->\nold\n<!-- simulation:end -->\n\nMore.\n"
    )
    result = json.loads((Path(__file__).parent / "fixtures" / "simulation-result.json").read_text())
    render_markdown(notes, result)
    text = notes.read_text()
    assert text.startswith("# Notes\n") and text.endswith("More.\n") and "old" not in text
    assert "| candidates who never heard an outcome |" in text


def test_a_tiny_month_runs_and_heardback_keeps_its_promises(tmp_path: Path) -> None:
    out = tmp_path / "month.json"
    page = tmp_path / "month.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.simulate",
            "--roles",
            "1",
            "--applicants",
            "14",
            "--weeks",
            "1",
            "--tail-days",
            "14",
            "--json",
            str(out),
            "--html",
            str(page),
        ],
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| figure | plain ATS | heardback |" in done.stdout
    result = json.loads(out.read_text())
    plain, hb = result["plain_ats"], result["heardback"]
    assert result["heardback_errors"] == []
    assert hb["candidates"] == plain["candidates"] > 0
    # heardback's promises, read from the delivered mail
    assert hb["never_heard_outcome"] == 0
    assert hb["silent_over_7_days"] == 0
    assert hb["surveys_before_outcome_or_feedback"] == 0
    assert hb["rejections_after_3h_effort"] == hb["of_which_with_written_reasons"]
    # the plain ATS sends only what a person clicks: no feedback ever reaches a candidate
    assert plain["rounds_with_feedback_delivered"] == 0
    assert set(plain["messages_by_kind"]) <= {"invitation", "rejection", "offer"}
    script = build(
        Params(roles=1, applicants=14, weeks=1, tail_days=14)
    )  # the same month, from its seed
    assert result["script"] == script.digest()
    writers = [iv for iv in script.interviews.values() if iv.habit != "never"]
    assert hb["rounds_with_feedback_delivered"] >= len(writers) - plain["withdrew"]
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<svg" in html and "<script" not in html
