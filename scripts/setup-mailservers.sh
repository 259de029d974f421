#!/usr/bin/env bash
# Install Postfix and Dovecot (IMAP) for the real-mail-server end-to-end test, only when they are missing.
#
# The test runs its own throwaway instances on 127.0.0.1 with a private configuration; the system's own
# services are left alone: Postfix is installed with "No configuration" (no /etc/postfix/main.cf, so the
# system instance does not start) and, while installing, services are kept from starting (policy-rc.d).
set -euo pipefail

need=()
[ -x /usr/sbin/postfix ] || need+=(postfix)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Need root to install ${need[*]} (or run: sudo apt-get install postfix dovecot-imapd)." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install ${need[*]} yourself (Debian packages postfix, dovecot-imapd)." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# Keep the packages from starting the system's mail services (ports 25 and 143) while installing.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  added_policy=1
fi
cleanup() { if [ "$added_policy" -eq 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# A stale package list (a fresh container) cannot find the packages: update first, quietly.
apt-get update -qq
apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${need[@]}" >/dev/null
echo "Installed: ${need[*]}"
