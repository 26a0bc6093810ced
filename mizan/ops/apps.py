from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "mizan.ops"
    label = "ops"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from . import task_context
        from .request_id import clear_request_id

        request_finished.connect(clear_request_id, dispatch_uid="mizan.ops.clear_request_id")
        task_context.connect()
