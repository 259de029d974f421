"""The `digitalpost` command: run the hub, run workers, load demo data, manage the database."""
