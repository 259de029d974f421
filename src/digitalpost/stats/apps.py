from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "digitalpost.stats"
    default_auto_field = "django.db.models.BigAutoField"
