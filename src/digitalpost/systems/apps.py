from django.apps import AppConfig


class SystemsConfig(AppConfig):
    name = "digitalpost.systems"
    label = "systems"
    verbose_name = "Systems"
    default_auto_field = "django.db.models.BigAutoField"
