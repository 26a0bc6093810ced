from django.contrib import admin

from .models import Commune, Court, Institution, Prison, Province, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "iso_3166_2"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "kind", "region"]
    list_filter = ["region", "kind"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_fr",
        "name_ar",
        "province",
        "first_instance_court",
        "routing_confidence",
    ]
    list_filter = ["routing_confidence", "province__region"]
    search_fields = ["code", "name_fr", "name_ar"]
    autocomplete_fields = ["province", "first_instance_court", "appeal_court"]


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin):
    list_display = ["id", "name_fr", "kind", "status", "confidence", "parent"]
    list_filter = ["kind", "status", "confidence"]
    search_fields = ["id", "name_fr", "name_ar", "seat_city_fr"]
    autocomplete_fields = ["parent", "seat_province"]


@admin.register(Prison)
class PrisonAdmin(admin.ModelAdmin):
    list_display = ["id", "name_fr", "kind", "city_fr", "status", "confidence"]
    list_filter = ["kind", "status", "confidence"]
    search_fields = ["id", "name_fr", "name_ar", "city_fr"]


admin.site.register(Institution)
