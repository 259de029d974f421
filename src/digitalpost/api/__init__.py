"""The sender REST API (django-ninja): thin operations that authenticate, call one service and render."""
