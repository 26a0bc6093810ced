from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "mizan.portal"
    label = "portal"
