"""Administrators set up services, campaigns and officials' hours here; every save and
deletion is in the audit log. Bookings are read-only: citizens and officials change them
through the pages, where the rules and the SMS apply."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mizan.accounts.models import Role
from mizan.core.admin import ReadOnlyAdmin
from mizan.core.audit import audit_record

from .models import AppointmentService, Availability, Booking, Campaign, Leave, WeeklyHours


class AuditedAdmin(admin.ModelAdmin):
    audit_name = ""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=f"{self.audit_name}.saved",
            object_type=self.audit_name,
            object_id=str(obj.pk),
            actor=request.user,
            data={"object": str(obj), "changed": sorted(form.changed_data)},
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = [fs.model._meta.model_name for fs in formsets if fs.has_changed()]
        if changed or "services" in form.changed_data:
            audit_record(
                action=f"{self.audit_name}.related_saved",
                object_type=self.audit_name,
                object_id=str(form.instance.pk),
                actor=request.user,
                data={"changed": changed + [f for f in form.changed_data if f == "services"]},
            )

    def delete_model(self, request, obj):
        audit_record(
            action=f"{self.audit_name}.deleted",
            object_type=self.audit_name,
            object_id=str(obj.pk),
            actor=request.user,
            data={"object": str(obj)},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class AppointmentServiceForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("roles that hold it"),
        choices=[(r.value, r.label) for r in (Role.MAGISTRATE, Role.AGENT, Role.UNIT_HEAD)],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AppointmentService
        fields = [
            "unit",
            "code",
            "title_ar",
            "title_fr",
            "title_en",
            "duration_minutes",
            "roles",
            "is_active",
        ]


@admin.register(AppointmentService)
class AppointmentServiceAdmin(AuditedAdmin):
    audit_name = "appointment_service"
    form = AppointmentServiceForm
    list_display = ["code", "title_fr", "unit", "duration_minutes", "is_active"]
    list_filter = ["is_active", "unit__institution"]
    search_fields = ["code", "title_fr", "title_ar", "title_en"]
    autocomplete_fields = []


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    audit_name = "appointment_campaign"
    list_display = ["name", "starts_on", "ends_on"]
    filter_horizontal = ["services"]
    date_hierarchy = "starts_on"


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 1


class LeaveInline(admin.TabularInline):
    model = Leave
    extra = 0


@admin.register(Availability)
class AvailabilityAdmin(AuditedAdmin):
    audit_name = "appointment_availability"
    list_display = ["official", "buffer_minutes", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["official__username", "official__last_name"]
    raw_id_fields = ["official"]
    inlines = [WeeklyHoursInline, LeaveInline]


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ["reference", "service", "official", "starts_at", "status"]
    list_filter = ["status", "service"]
    search_fields = ["reference"]
    date_hierarchy = "starts_at"
    exclude = ["room", "join_key"]
