"""Helpers the tests share: worlds built through the real services, test PKIs, real SMTP sinks and servers.

Imported as `helpers.<module>` (pytest puts `tests/` on the path, see `pythonpath` in pyproject.toml); the cast
(`tests/cast.py`) sits beside this package. No tests and no fixtures live here except the secure-mail fixtures
(`secure_mail_world.py`), which `tests/conftest.py` loads as a plugin.
"""
