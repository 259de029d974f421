#!/usr/bin/env bash
# Install what `make bench` drives besides the test tools: the wrk load generator, only when missing.
set -euo pipefail
if ! command -v wrk >/dev/null 2>&1; then
  echo "Installing Debian package: wrk"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Need root to install wrk (or install it yourself)." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
