from django.urls import path

from . import views

app_name = "transparency"
urlpatterns = [
    path("transparency/", views.dashboard, name="dashboard"),
    path("transparency/data/", views.data_dictionary, name="data"),
]
