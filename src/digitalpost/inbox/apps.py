from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "digitalpost.inbox"
    label = "inbox"
    verbose_name = "Web mailbox"
    default_auto_field = "django.db.models.BigAutoField"
