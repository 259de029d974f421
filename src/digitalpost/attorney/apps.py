from django.apps import AppConfig


class AttorneyConfig(AppConfig):
    name = "digitalpost.attorney"
    label = "attorney"
    verbose_name = "Power of attorney"
    default_auto_field = "django.db.models.BigAutoField"
