from django.apps import AppConfig


class FilingConfig(AppConfig):
    name = "digitalpost.filing"
    label = "filing"
    verbose_name = "Folders, search, deletion and retention"
    default_auto_field = "django.db.models.BigAutoField"
