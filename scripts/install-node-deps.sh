#!/usr/bin/env bash
# Installs the Node.js client of the integration tests (tests/node: Pryv's JavaScript
# library, pinned by package-lock.json) when node_modules is missing or older than
# the lock file. The test `pryv_js` fails without it.
set -euo pipefail

node_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/node" && pwd)"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-node-deps: '$tool' not found; install Node.js 20 or later (with npm)" >&2
        exit 1
    fi
done

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "install-node-deps: Node.js $(node --version) is too old; pryv needs 20 or later" >&2
    exit 1
fi

# npm ci writes node_modules/.package-lock.json last: its age says when the install
# finished.
stamp="$node_dir/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ "$stamp" -nt "$node_dir/package-lock.json" ]; then
    echo "install-node-deps: tests/node/node_modules is up to date"
    exit 0
fi

echo "install-node-deps: npm ci in tests/node"
(cd "$node_dir" && npm ci --no-audit --no-fund)
