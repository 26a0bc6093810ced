from django.urls import path

from . import webhooks

app_name = "sms"
urlpatterns = [
    path("receipts/<slug:provider>/", webhooks.json_receipt, name="json_receipt"),
    path("inbound/<slug:provider>/", webhooks.json_inbound, name="json_inbound"),
    path("kannel/<slug:provider>/dlr/", webhooks.kannel_receipt, name="kannel_receipt"),
    path("kannel/<slug:provider>/mo/", webhooks.kannel_inbound, name="kannel_inbound"),
]
