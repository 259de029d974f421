from typing import Any

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "digitalpost.portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        user_locked_out.connect(_audit_lock_out, dispatch_uid="portal.audit_lock_out")


def _audit_lock_out(sender: Any, request: Any, username: str | None, ip_address: str | None, **kwargs: Any) -> None:
    """django-axes refused a sign-in for too many failures (the account's or the address's): in the audit log."""
    from digitalpost.accounts.selectors import user_by_username
    from digitalpost.accounts.services import record_sign_in_event

    record_sign_in_event(action="sign_in.locked_out", user=user_by_username(username or ""),
                         address=ip_address or "")
