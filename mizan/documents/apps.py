from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "mizan.documents"
    label = "documents"
