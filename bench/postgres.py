"""A throwaway PostgreSQL cluster on loopback, from Debian's `postgresql` package: for the
ledger's tests and the two-worker benchmark (the shared ledger is what several workers need)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def postgres_bin() -> Path:
    """Debian's `postgresql` package puts its server binaries here (`make test` installs it)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise RuntimeError(
            "PostgreSQL's server is missing: `apt-get install postgresql` (make test does this "
            "when run as root), or set HEARDBACK_TEST_POSTGRES_DSN to a server to use"
        )
    return found[-1].parent


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh cluster (fsync off: a test or benchmark database), its DSN while it runs."""
    bin_dir = postgres_bin()
    # Not under a private tmp (root's): the cluster may have to run as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="heardback-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    port = _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as Debian's postgres user
        subprocess.run(["chown", "-R", "postgres:postgres", str(base)], check=True)  # noqa: S603,S607
        base.chmod(0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(  # noqa: S603 - fixed argv
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "heardback"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(  # noqa: S603 - fixed argv
        [
            *as_user,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql://heardback@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(  # noqa: S603 - fixed argv
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(base, ignore_errors=True)
