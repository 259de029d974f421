#!/usr/bin/env bash
# Run a pytest command; "no tests collected" (exit 5) is a failure too, so CI never passes on nothing.
set -u
"$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit "$status"
