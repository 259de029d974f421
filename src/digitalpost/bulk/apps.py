from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "digitalpost.bulk"
    default_auto_field = "django.db.models.BigAutoField"
