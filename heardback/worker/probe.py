"""`python -m heardback.worker.probe URL`: exit 0 if URL answers 2xx within 3 s (container health
checks; the slim image has no curl)."""

from __future__ import annotations

import sys
import urllib.request


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].startswith("http://"):
        print("usage: python -m heardback.worker.probe http://host:port/path", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(argv[1], timeout=3) as response:  # noqa: S310 - http only
            return 0 if 200 <= response.status < 300 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
