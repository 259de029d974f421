#!/usr/bin/env bash
# Install axe-core (Deque's accessibility engine, pinned in tests/helpers/axe_core/package-lock.json) into the
# git-ignored tests/helpers/axe_core/node_modules, only when the lock file changed since the last install. The
# browser tests inject it into every page they check (tests/helpers/axe.py).
set -euo pipefail
here="$(cd "$(dirname "$0")/../tests/helpers/axe_core" && pwd)"
stamp="$here/node_modules/.installed-lock"
if [ -f "$stamp" ] && cmp -s "$here/package-lock.json" "$stamp"; then
  exit 0
fi
echo "Installing axe-core (npm ci in tests/helpers/axe_core)"
npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
cp "$here/package-lock.json" "$stamp"
