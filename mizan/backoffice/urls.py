from django.contrib.auth.views import LogoutView
from django.urls import path

from . import assisted, search_views, second_factor, views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("login/verify/", second_factor.verify, name="verify"),
    path("login/set-up/", second_factor.enrol, name="enrol"),
    path("account/recovery-codes/", second_factor.recovery_codes, name="recovery_codes"),
    path("audit/", second_factor.audit_log, name="audit_log"),
    path("", views.queue, name="queue"),
    path("file/", assisted.assisted_start, name="assisted_start"),
    path("file/code/<str:token>/", assisted.assisted_code, name="assisted_code"),
    path("file/filed/<str:reference>/", assisted.assisted_filed, name="assisted_filed"),
    path("file/<slug:procedure>/", assisted.assisted_form, name="assisted_form"),
    path("search/", search_views.search, name="search"),
    path("bulk/", views.bulk, name="bulk"),
    path("units/", views.units, name="units"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/step/", views.case_step, name="case_step"),
    path("cases/<str:reference>/faq/", views.case_publish_faq, name="case_publish_faq"),
    path("cases/<str:reference>/messages/", views.case_messages, name="case_messages"),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
