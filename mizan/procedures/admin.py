from django.contrib import admin

from mizan.core.audit import audit_record

from .models import CommissionSession


@admin.register(CommissionSession)
class CommissionSessionAdmin(admin.ModelAdmin):
    list_display = ["date", "place", "agenda_closed"]
    list_filter = ["agenda_closed"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="commission_session.saved",
            object_type="commission_session",
            object_id=str(obj.pk),
            actor=request.user,
            data={"date": obj.date.isoformat(), "agenda_closed": obj.agenda_closed},
        )

    def delete_model(self, request, obj):
        audit_record(
            action="commission_session.deleted",
            object_type="commission_session",
            object_id=str(obj.pk),
            actor=request.user,
            data={"date": obj.date.isoformat()},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
