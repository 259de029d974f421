"""The REST API (django-ninja), split by audience: `sender/` (sender systems), `receiver/` (REST pull
receiver systems) and `admin/` (an organisation's set-up with a personal admin token). Shared here: the
assembled API (`app.py`), problem+json errors, common schemas and the token header. Operations are thin:
they authenticate, call one service and render."""
