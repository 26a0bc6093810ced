"""Open-data files: stable addresses without a language prefix (the files carry the
names in French and Arabic and codes that do not depend on a language)."""

from django.urls import path, re_path

from . import views

app_name = "transparency_files"
urlpatterns = [
    path("catalogue.json", views.catalogue, name="catalogue"),
    re_path(
        r"^(?P<procedure>[a-z_]+)-(?P<month>\d{4}-\d{2})\.csv-metadata\.json$",
        views.csv_metadata,
        name="csv_metadata",
    ),
    re_path(
        r"^(?P<procedure>[a-z_]+)-(?P<month>\d{4}-\d{2})\.(?P<extension>csv|json)$",
        views.open_data_file,
        name="file",
    ),
]
