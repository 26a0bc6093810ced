from django.urls import path

from . import views

app_name = "appointments"
urlpatterns = [
    path("appointments/", views.start, name="start"),
    path("appointments/institution/<str:code>/", views.institution, name="institution"),
    path("appointments/service/<slug:service>/", views.subject, name="subject"),
    path("appointments/service/<slug:service>/slots/", views.slots, name="slots"),
    path("appointments/details/", views.details, name="details"),
    path("appointments/code/", views.code, name="code"),
    path("appointments/booked/<str:reference>/", views.booked, name="booked"),
    path(
        "appointments/booked/<str:reference>/calendar.ics",
        views.calendar_file,
        name="calendar_file",
    ),
    path("appointments/manage/", views.manage, name="manage"),
    path("appointments/manage/code/", views.manage_code, name="manage_code"),
    path("appointments/manage/<str:reference>/", views.manage_booking, name="manage_booking"),
    path(
        "appointments/manage/<str:reference>/documents/",
        views.manage_documents,
        name="manage_documents",
    ),
    path(
        "backoffice/appointments/<str:reference>/documents/<int:document_id>/",
        views.agenda_document,
        name="agenda_document",
    ),
    path("appointments/join/<str:reference>/<str:key>/", views.join, name="join"),
    path("backoffice/appointments/", views.agenda, name="agenda"),
    path("backoffice/appointments/<str:reference>/", views.agenda_booking, name="agenda_booking"),
    path(
        "backoffice/appointments/<str:reference>/join/",
        views.official_join,
        name="official_join",
    ),
]
