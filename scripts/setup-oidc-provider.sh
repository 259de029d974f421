#!/usr/bin/env bash
# Install the test OpenID provider (panva's oidc-provider, pinned in tests/helpers/oidc_provider/package-lock.json) into
# the git-ignored tests/helpers/oidc_provider/node_modules, only when the lock file changed since the last install.
set -euo pipefail
here="$(cd "$(dirname "$0")/../tests/helpers/oidc_provider" && pwd)"
stamp="$here/node_modules/.installed-lock"
if [ -f "$stamp" ] && cmp -s "$here/package-lock.json" "$stamp"; then
  exit 0
fi
echo "Installing the test OpenID provider (npm ci in tests/helpers/oidc_provider)"
npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
cp "$here/package-lock.json" "$stamp"
