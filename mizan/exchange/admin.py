from django.contrib import admin

from mizan.core.admin import ReadOnlyAdmin
from mizan.core.audit import audit_record

from .models import CommissaireOffice, ExchangeFile, OfficeMember


class OfficeMemberInline(admin.TabularInline):
    model = OfficeMember
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(CommissaireOffice)
class CommissaireOfficeAdmin(admin.ModelAdmin):
    """Administrators register offices and link their members' staff log-ins; every
    save is written to the audit log."""

    list_display = ["registration_number", "name", "appeal_court", "is_active"]
    list_filter = ["is_active", "appeal_court"]
    search_fields = ["registration_number", "name"]
    inlines = [OfficeMemberInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="exchange.office_saved",
            object_type="commissaire_office",
            object_id=obj.registration_number,
            actor=request.user,
            data={"changed": form.changed_data, "active": obj.is_active},
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for member in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            audit_record(
                action="exchange.office_member_saved",
                object_type="commissaire_office",
                object_id=form.instance.registration_number,
                actor=request.user,
                data={"user": member.user.get_username(), "role": member.role},
            )
        for member in formset.deleted_objects:
            audit_record(
                action="exchange.office_member_removed",
                object_type="commissaire_office",
                object_id=form.instance.registration_number,
                actor=request.user,
                data={"user": member.user.get_username()},
            )

    def delete_model(self, request, obj):
        audit_record(
            action="exchange.office_deleted",
            object_type="commissaire_office",
            object_id=obj.registration_number,
            actor=request.user,
        )
        super().delete_model(request, obj)


@admin.register(ExchangeFile)
class ExchangeFileAdmin(ReadOnlyAdmin):
    """For administrators to look a file up; steps are taken on the exchange pages,
    where the lifecycle and the seals apply."""

    list_display = ["reference", "kind", "status", "court_unit", "office", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["reference"]
