from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "mizan.backoffice"
    label = "backoffice"
