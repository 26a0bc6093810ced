from django import forms
from django.contrib import admin
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mizan.core.admin import ReadOnlyAdmin
from mizan.core.errors import DomainError

from .messages import MESSAGES
from .models import DeliveryReceipt, InboundSms, MessageTemplate, Notification
from .services import message_preview, message_template_problems, message_template_save


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "template_key",
        "recipient",
        "language",
        "status",
        "segments",
        "provider",
        "attempts",
    ]
    list_filter = ["status", "channel", "provider", "template_key", "language"]
    search_fields = ["recipient", "case__reference", "client_reference", "provider_reference"]


@admin.register(DeliveryReceipt)
class DeliveryReceiptAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "message_id", "status", "outcome"]
    list_filter = ["provider", "status", "outcome"]
    search_fields = ["message_id"]


@admin.register(InboundSms)
class InboundSmsAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "sender", "outcome"]
    list_filter = ["provider", "outcome"]
    search_fields = ["sender"]


class MessageTemplateForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("message"), choices=[(key, key) for key in MESSAGES])

    class Meta:
        model = MessageTemplate
        fields = ["key", "language", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4, "dir": "auto"})}

    def clean(self):
        cleaned = super().clean()
        key, language, body = (cleaned.get(name) for name in ("key", "language", "body"))
        if key and language and body:
            for problem in message_template_problems(key=key, language=language, body=body):
                self.add_error("body", problem)
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Administrators reword messages; each save is a new version, checked and audited."""

    form = MessageTemplateForm
    list_display = ["key", "language", "version", "updated_at", "updated_by"]
    list_filter = ["language", "key"]
    readonly_fields = ["catalogue_text", "preview", "version", "updated_at", "updated_by"]
    fields = ["key", "language", "catalogue_text", "body", "preview", "version", "updated_at"]

    @admin.display(description=_("built-in text"))
    def catalogue_text(self, obj):
        if obj is None or not obj.pk:
            return _("Choose the message and the language; the built-in text shows after saving.")
        with translation.override(obj.language):
            return str(MESSAGES[obj.key]) if obj.key in MESSAGES else "—"

    @admin.display(description=_("preview with typical values"))
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "—"
        text, shape = message_preview(key=obj.key, language=obj.language, body=obj.body)
        return format_html(
            '<p dir="auto">{}</p><p>{} · {} · {}</p>',
            text,
            shape.encoding.upper(),
            ngettext("%(count)s segment", "%(count)s segments", shape.segments)
            % {"count": shape.segments},
            ngettext("%(count)s character", "%(count)s characters", shape.length)
            % {"count": shape.length},
        )

    def save_model(self, request, obj, form, change):
        try:
            saved = message_template_save(
                key=obj.key, language=obj.language, body=obj.body, user=request.user
            )
        except DomainError as error:  # checked by the form already; a race is possible
            self.message_user(request, str(error.message), level="error")
            return
        obj.pk, obj.version, obj.updated_at = saved.pk, saved.version, saved.updated_at
