#!/usr/bin/env bash
# The TypeScript client example (examples/typescript) runs in the tests against the dev server:
# install its pinned packages from the npm registry (package-lock.json) and compile it.
# Needs Node.js 20 and npm (Debian's nodejs and npm packages, installed when missing as root).
set -euo pipefail
cd "$(dirname "$0")/../examples/typescript"
if ! command -v npm >/dev/null; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
        echo "installing Node.js and npm (Debian's nodejs, npm) for the TypeScript example..." >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "Node.js and npm are needed for the TypeScript example: 'sudo apt-get install nodejs npm'" >&2
        exit 1
    fi
fi
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install tsc -p .
