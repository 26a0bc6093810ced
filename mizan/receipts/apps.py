from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "mizan.receipts"
    label = "receipts"
