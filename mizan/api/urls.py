from django.urls import path

from . import views

app_name = "partner_keys"
urlpatterns = [
    path("", views.office_keys, name="list"),
    path("<int:key_id>/revoke/", views.office_key_revoke, name="revoke"),
]
