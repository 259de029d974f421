#!/usr/bin/env bash
# Install the Node tools the tests drive, each pinned by its own lock file in tests/helpers/<tool>/
# (oidc_provider: panva's oidc-provider, the sign-in tests' OpenID provider; axe_core: Deque's accessibility
# engine, injected into every page the browser tests check). Each goes into its git-ignored node_modules, and
# only when its lock file changed since the last install.
set -euo pipefail
helpers="$(cd "$(dirname "$0")/../tests/helpers" && pwd)"
for lock in "$helpers"/*/package-lock.json; do
  here="$(dirname "$lock")"
  stamp="$here/node_modules/.installed-lock"
  if [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then
    continue
  fi
  echo "Installing $(basename "$here") (npm ci in tests/helpers/$(basename "$here"))"
  npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$lock" "$stamp"
done
