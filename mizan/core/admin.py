from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mizan.notifications.phones import e164

from .audit import citizen_pseudonym
from .models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: for records that only services may write."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The log is append-only, and the chain would show any edit."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label"]
    search_help_text = _(
        "A reference, a staff user name, or a citizen's phone number (their entries "
        "hold a pseudonym of it, never the number)."
    )

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone = e164(search_term)
        if phone.startswith("+") and phone[1:].isdigit():
            pseudonym = citizen_pseudonym(phone)
            results |= queryset.filter(actor_label=f"citizen:{pseudonym}") | queryset.filter(
                object_id=pseudonym
            )
        return results, may_have_duplicates
