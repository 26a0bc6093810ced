from django.contrib import admin

from .models import CommissionSession


@admin.register(CommissionSession)
class CommissionSessionAdmin(admin.ModelAdmin):
    list_display = ["date", "place", "agenda_closed"]
    list_filter = ["agenda_closed"]
    date_hierarchy = "date"
