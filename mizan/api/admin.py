"""Administrators create and revoke the commissaires' offices' API keys here.

A key is created through `partner_key_create` and shown once, on the page that answers
the form (never stored, not even in a message); afterwards it can only be revoked
(`partner_key_revoke`). Both are in the audit log. Keys are never deleted: the steps
they took name them.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from mizan.core.http import client_ip
from mizan.exchange.models import OfficeMember

from .models import PartnerKey
from .services import partner_key_create, partner_key_revoke


class PartnerKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=PartnerKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose what the key may do (at least one permission).")},
    )

    class Meta:
        model = PartnerKey
        fields = ["office", "name", "acting_user", "scopes", "expires_at"]
        help_texts = {
            "acting_user": _(
                "An active member of the office, usually its commissaire: the steps the key "
                "takes are in this member's name (and name the key)."
            ),
            "expires_at": _("Optional: the key stops working then."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = OfficeMember.objects.filter(is_active=True).values("user_id")
        self.fields["acting_user"].queryset = get_user_model().objects.filter(
            pk__in=members, is_active=True
        )
        self.fields["scopes"].initial = list(PartnerKey.Scope.values)

    def clean(self):
        cleaned = super().clean()
        office, member = cleaned.get("office"), cleaned.get("acting_user")
        if (
            office
            and member
            and not OfficeMember.objects.filter(user=member, office=office, is_active=True).exists()
        ):
            self.add_error(
                "acting_user", _("The key must act in the name of an active member of the office.")
            )
        expires_at = cleaned.get("expires_at")
        if expires_at and expires_at <= timezone.now():
            self.add_error("expires_at", _("The expiry date must be in the future."))
        return cleaned


@admin.register(PartnerKey)
class PartnerKeyAdmin(admin.ModelAdmin):
    list_display = [
        "display_prefix",
        "name",
        "office",
        "acting_user",
        "scope_list",
        "state",
        "last_used_at",
        "expires_at",
    ]
    list_filter = ["office"]
    search_fields = ["prefix", "name", "office__name", "office__registration_number"]
    readonly_fields = [
        "display_prefix",
        "office",
        "name",
        "acting_user",
        "scope_list",
        "state",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]

    @admin.display(description=_("key"))
    def display_prefix(self, key):
        return key.display_prefix

    @admin.display(description=_("Permissions"))
    def scope_list(self, key):
        return ", ".join(key.scopes)

    @admin.display(description=_("state"))
    def state(self, key):
        if key.revoked_at:
            return pgettext("API key state", "revoked")
        if key.expires_at and key.expires_at <= timezone.now():
            return pgettext("API key state", "expired")
        return pgettext("API key state", "active")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PartnerKeyCreateForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return PartnerKeyCreateForm.Meta.fields
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing to save on a key's page: it is read, or revoked from the list.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        # Revoke instead: the steps a key took name it.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing can be edited; a key is revoked with the list's action
        data = form.cleaned_data
        issued = partner_key_create(
            office=data["office"],
            name=data["name"],
            scopes=data["scopes"],
            acting_user=data["acting_user"],
            created_by=request.user,
            expires_at=data.get("expires_at"),
            ip_address=client_ip(request),
        )
        # The admin goes on with `obj` (its log entry, the answer): make it the key.
        for field in PartnerKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued.key, field.attname))
        obj._state.adding = False
        obj._state.db = issued.key._state.db
        request._partner_key_secret = issued.secret

    def response_add(self, request, obj, post_url_continue=None):
        """The key, once: on this page only, never kept anywhere."""
        response = TemplateResponse(
            request,
            "admin/api/partnerkey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("API key created"),
                "key": obj,
                "secret": request._partner_key_secret,
            },
        )
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            partner_key_revoke(key_id=key.pk, actor=request.user, ip_address=client_ip(request))
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)s key revoked.", "%(count)s keys revoked.", revoked)
            % {"count": revoked},
        )
