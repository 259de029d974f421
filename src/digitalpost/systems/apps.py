from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SystemsConfig(AppConfig):
    name = "digitalpost.systems"
    label = "systems"
    verbose_name = "Systems"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from digitalpost.systems.models import SenderPushEndpoint

        # Events read a system's push endpoints once per transaction (selectors.push_targets); a change to one
        # must be seen by the next event of the same transaction.
        post_save.connect(_forget_push_targets, sender=SenderPushEndpoint, dispatch_uid="forget-push-targets-save")
        post_delete.connect(_forget_push_targets, sender=SenderPushEndpoint,
                            dispatch_uid="forget-push-targets-delete")


def _forget_push_targets(**_kwargs: Any) -> None:
    from digitalpost.systems.selectors import forget_push_targets

    forget_push_targets()
