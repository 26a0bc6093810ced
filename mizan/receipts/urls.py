from django.urls import path

from . import views

app_name = "receipts"
urlpatterns = [
    path("receipt/<str:reference>.pdf", views.receipt_download, name="download"),
    path("verify/", views.verify, name="verify"),
    path("verify/key/", views.verify_key, name="verify_key"),
]
