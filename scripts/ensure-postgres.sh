#!/usr/bin/env bash
# The PostgreSQL ledger's tests run a throwaway cluster from Debian's `postgresql` package.
# Installs it when missing (as root, with apt); otherwise says what to do.
set -euo pipefail
if [[ -n "${HEARDBACK_TEST_POSTGRES_DSN:-}" ]] || compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    echo "installing PostgreSQL (Debian's postgresql package) for the ledger tests..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
    exit 0
fi
echo "PostgreSQL's server is needed for the ledger tests: 'sudo apt-get install postgresql'," >&2
echo "or point HEARDBACK_TEST_POSTGRES_DSN at a server you can create tables in." >&2
exit 1
