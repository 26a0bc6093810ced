from django.contrib import admin

from .models import FaqEntry


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "institution", "language", "published_at", "is_published"]
    list_filter = ["institution", "language", "is_published"]
    # Withdrawing an entry from the public page is an edit of is_published.
    fields = ["institution", "language", "question", "answer", "is_published"]

    def has_add_permission(self, request):
        # Entries come from answered questions (the case page), never from nowhere.
        return False

    def save_model(self, request, obj, form, change):
        # An edit in the admin is anonymised and indexed like a publication.
        from mizan.cases.search import normalise
        from mizan.core.audit import audit_record

        from .services import anonymise

        obj.question, obj.answer = anonymise(obj.question), anonymise(obj.answer)
        obj.search_text = normalise(f"{obj.question} {obj.answer}")
        super().save_model(request, obj, form, change)
        audit_record(
            action="faq.edited",
            object_type="faq_entry",
            object_id=str(obj.pk),
            actor=request.user,
            data={"published": obj.is_published},
        )
