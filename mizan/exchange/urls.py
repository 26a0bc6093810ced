from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.home, name="home"),
    path("sent/", views.sent, name="sent"),
    path("sent/new/", views.file_create, name="file_create"),
    path("inbox/", views.inbox, name="inbox"),
    path("files/<str:reference>/", views.file_detail, name="file"),
    path("files/<str:reference>/step/", views.file_step, name="file_step"),
    path("files/<str:reference>/request/", views.file_case_link, name="file_case_link"),
    path("files/<str:reference>/history.pdf", views.history_pdf, name="history_pdf"),
    path(
        "files/<str:reference>/documents/<int:document_id>/",
        views.document_download,
        name="document",
    ),
]
