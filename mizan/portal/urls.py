from django.urls import path

from . import space, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("complaint/", views.complaint_form, name="complaint_form"),
    path("complaint/confirm/<str:token>/", views.complaint_confirm, name="complaint_confirm"),
    path("file/code/<str:token>/", views.filing_code, name="filing_code"),
    path("file/<slug:procedure>/", views.procedure_form, name="procedure_form"),
    path("filed/<str:reference>/", views.filed, name="filed"),
    path("track/", views.track, name="track"),
    path("track/code/", views.track_code, name="track_code"),
    path("track/<str:reference>/", views.track_detail, name="track_detail"),
    path(
        "track/<str:reference>/data.<str:data_format>",
        views.track_data,
        name="track_data",
    ),
    path(
        "track/<str:reference>/information/", views.provide_information, name="provide_information"
    ),
    path("track/<str:reference>/step/<slug:step_name>/", views.citizen_step, name="citizen_step"),
    path("space/", space.space, name="space"),
    path("space/sign-in/", space.space_sign_in, name="space_sign_in"),
    path("space/code/", space.space_code, name="space_code"),
    path("space/sign-out/", space.space_sign_out, name="space_sign_out"),
    path("communes/<str:province>/", views.communes, name="communes"),
]
