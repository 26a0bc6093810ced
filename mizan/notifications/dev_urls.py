from django.urls import path

from . import dev_views

app_name = "dev"
urlpatterns = [path("outbox/", dev_views.outbox, name="outbox")]
