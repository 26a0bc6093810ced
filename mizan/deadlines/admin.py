from django import forms
from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from mizan.core.errors import DomainError

from .models import Holiday
from .services import holiday_check, holiday_delete, holiday_save


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "kind", "confirmed"]

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("date", self.instance.date)
        if day and cleaned.get("name") and cleaned.get("kind"):
            try:
                holiday_check(day=day, name=cleaned["name"], kind=cleaned["kind"])
            except DomainError as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, error.message)
        return cleaned


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Administrators enter each year's religious holidays here; saves and deletions go
    through the services, which check the entry and write the audit log."""

    form = HolidayForm
    list_display = ["date", "weekday", "name", "kind", "confirmed"]
    list_filter = ["kind", "confirmed"]
    date_hierarchy = "date"
    search_fields = ["name"]
    ordering = ["date"]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: Holiday) -> str:
        return date_format(obj.date, "l")

    def get_readonly_fields(self, request, obj=None):
        # One entry per date: to move a holiday, delete it and add the right date, so
        # the audit log shows both.
        return ["date"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = holiday_save(
            day=obj.date,
            name=obj.name,
            kind=obj.kind,
            confirmed=obj.confirmed,
            user=request.user,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        holiday_delete(holiday=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for holiday in queryset:
            holiday_delete(holiday=holiday, user=request.user)
