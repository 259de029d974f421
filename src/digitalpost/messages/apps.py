from django.apps import AppConfig


class MessagesConfig(AppConfig):
    name = "digitalpost.messages"
    label = "messaging"
    verbose_name = "Messages"
    default_auto_field = "django.db.models.BigAutoField"
