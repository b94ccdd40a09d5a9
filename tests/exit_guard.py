"""A pytest plugin (loaded with ``-p tests.exit_guard``, see pyproject.toml): leave with pytest's
final exit status before interpreter teardown can turn it into a crash.

The Temporal SDK can abort the interpreter at exit (sdk-python issue 300: "PyGILState_Release:
thread state ... must be current"). So once pytest has finished, the process ends at once with
``os._exit``. The status is read as late as pytest allows: from the session in
``pytest_unconfigure`` (the last hook), after every ``pytest_sessionfinish`` implementation has
had its say, because plugins and options (``--max-warnings``, ``-x`` summaries, ``pytest.exit``)
may still change ``session.exitstatus`` there. The ``exitstatus`` argument of
``pytest_sessionfinish`` is the value before they do.
"""

from __future__ import annotations

import os
import sys

import pytest

_session: list[pytest.Session] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _session.append(session)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if not _session or os.environ.get("HEARDBACK_NO_EXIT_GUARD") == "1":
        return
    status = int(_session[-1].exitstatus)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
