from django.contrib import admin

from mizan.core.admin import ReadOnlyAdmin

from .models import Case


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """For administrators to look up a case; steps are taken in the back-office, where
    the workflow and the audit apply, so nothing here can be changed."""

    list_display = ["reference", "procedure", "status", "unit", "submitted_at"]
    list_filter = ["procedure", "status", "destination_to_confirm"]
    search_fields = ["reference"]
