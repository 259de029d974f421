from django.apps import AppConfig


class DoctorConfig(AppConfig):
    name = "digitalpost.doctor"
    default_auto_field = "django.db.models.BigAutoField"
