"""Environment for a real worker process that works on the test's database and blob store."""

import os

from django.db import connection


def worker_env(settings) -> dict[str, str]:
    env = {**os.environ, "DIGITALPOST_BLOB_DIR": str(settings.DIGITALPOST_BLOB_DIR)}
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DIGITALPOST_SQLITE"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env
