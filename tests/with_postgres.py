"""Run pytest against a throwaway PostgreSQL server: `python tests/with_postgres.py [pytest args]`."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers.pgserver import throwaway_postgres


def main() -> int:
    with throwaway_postgres() as url:
        print(f"PostgreSQL test server at {url}", flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        return subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]], env=env)


if __name__ == "__main__":
    sys.exit(main())
