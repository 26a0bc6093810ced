from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "mizan.reference"
    label = "reference"
