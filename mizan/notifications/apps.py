from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mizan.notifications"
    label = "notifications"
