from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "mizan.procedures"
    label = "procedures"
