from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mizan.core"
    label = "core"
