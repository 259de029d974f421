"""The Django project: settings from DIGITALPOST_* environment variables, root URLs, WSGI."""
