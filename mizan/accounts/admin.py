from django.contrib import admin

from .models import Membership, Unit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "kind",
        "institution",
        "court",
        "region",
        "is_active",
        "distribute_automatically",
    ]
    list_filter = ["institution", "kind", "is_active", "distribute_automatically"]
    search_fields = ["code", "court__name_fr", "court__name_ar"]
    autocomplete_fields = ["court", "region"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__institution"]
    search_fields = ["user__username", "unit__code"]
    autocomplete_fields = ["user", "unit"]
