from django.contrib import admin

from .models import Case


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """For administrators to look up a case; steps are taken in the back-office, where
    the workflow and the audit apply, so nothing here can be changed."""

    list_display = ["reference", "procedure", "status", "unit", "submitted_at"]
    list_filter = ["procedure", "status", "destination_to_confirm"]
    search_fields = ["reference"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
