from django.apps import AppConfig


class SecuremailConfig(AppConfig):
    name = "digitalpost.securemail"
    label = "securemail"
    verbose_name = "Secure mail"
