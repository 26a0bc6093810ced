from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("complaint/", views.complaint_form, name="complaint_form"),
    path("complaint/confirm/<str:token>/", views.complaint_confirm, name="complaint_confirm"),
    path("filed/<str:reference>/", views.filed, name="filed"),
    path("track/", views.track, name="track"),
    path("track/code/", views.track_code, name="track_code"),
    path("track/<str:reference>/", views.track_detail, name="track_detail"),
    path(
        "track/<str:reference>/information/", views.provide_information, name="provide_information"
    ),
    path("communes/<str:province>/", views.communes, name="communes"),
]
