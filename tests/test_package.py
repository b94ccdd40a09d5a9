"""What a backend gets from `pip install heardback`: one import namespace, and the client in it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import heardback

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_installs_only_the_heardback_namespace(tmp_path: Path) -> None:
    """No top-level `worker`, `cli`, `workflows`... beside a backend's own packages."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("heardback-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith((".dist-info", ".data"))} == {"heardback"}
    assert "heardback/activities/templates/rejection.txt.j2" in names  # templates ship too
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "heardback = heardback.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def test_the_client_and_its_models_import_from_heardback() -> None:
    from heardback import CandidacyInput, Decide, HeardbackClient, Refused

    assert HeardbackClient.__module__ == "heardback.starter.client"
    assert Decide(outcome="offer").outcome == "offer"
    assert issubclass(Refused, heardback.HeardbackError)
    assert CandidacyInput.model_fields["role"].is_required()
    for name in heardback.__all__:
        assert getattr(heardback, name) is not None, name


def test_importing_the_workflows_does_not_import_the_client() -> None:
    """The workflow sandbox and replayers import heardback.workflows: that must stay light."""
    code = (
        "import sys, heardback.workflows.candidacy; "
        "print('heardback.starter.client' in sys.modules, 'cryptography' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.split() == ["False", "False"]
