from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "template_key", "recipient", "language", "status", "attempts"]
    list_filter = ["status", "template_key", "language"]
    search_fields = ["recipient", "case__reference"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
