from django.contrib import admin

from .models import FaqEntry


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "institution", "language", "published_at", "is_published"]
    list_filter = ["institution", "language", "is_published"]
    # Withdrawing an entry from the public page is an edit of is_published.
    fields = ["institution", "language", "question", "answer", "is_published"]
