from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "mizan.cases"
    label = "cases"
