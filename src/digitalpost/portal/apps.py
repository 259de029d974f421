from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "digitalpost.portal"
    default_auto_field = "django.db.models.BigAutoField"
