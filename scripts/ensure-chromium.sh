#!/usr/bin/env bash
# The page tests drive Debian's Chromium (package `chromium`, /usr/bin/chromium) with Playwright's
# Python API; nothing downloads a browser. Installs it when missing (as root, with apt);
# otherwise says what to do.
set -euo pipefail
if [[ -n "${HEARDBACK_TEST_CHROMIUM:-}" ]] || command -v chromium >/dev/null; then
    exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    echo "installing Chromium (Debian's chromium package) for the page tests..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
    exit 0
fi
echo "Chromium is needed for the page tests: 'sudo apt-get install chromium'," >&2
echo "or point HEARDBACK_TEST_CHROMIUM at a Chromium binary." >&2
exit 1
