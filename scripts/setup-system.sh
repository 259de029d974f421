#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real, only when they are missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The deploy contract verifies the systemd units (deploy/systemd) with systemd-analyze.
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The mutual-TLS tests put the REST API behind a real nginx, as in production.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
# The S/MIME interop tests drive NSS's cmsutil (Thunderbird's engine) and GnuPG's gpgsm (KMail's).
command -v cmsutil >/dev/null 2>&1 || need+=(libnss3-tools)
command -v gpgsm >/dev/null 2>&1 || need+=(gpgsm)
# The translation contract extracts the Danish catalogue afresh with GNU gettext (Django's makemessages).
command -v msgattrib >/dev/null 2>&1 || need+=(gettext)
# The sign-in tests run a real OpenID provider (npm's oidc-provider) on node.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Need root to install ${need[*]} (or install them yourself)." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The end-to-end test runs a throwaway Postfix and Dovecot as the authority's mail server.
bash "$(dirname "$0")/setup-mailservers.sh"
# The sign-in tests' OpenID provider and the accessibility tests' engine (tests/helpers/*), from their lock files.
bash "$(dirname "$0")/setup-node-tools.sh"
