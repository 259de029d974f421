from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "digitalpost.registry"
    label = "registry"
    verbose_name = "Contact register"
    default_auto_field = "django.db.models.BigAutoField"
