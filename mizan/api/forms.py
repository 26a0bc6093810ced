from django import forms
from django.utils.translation import gettext_lazy as _

from mizan.portal.forms import Form

from .models import PartnerKey


class OfficeKeyForm(Form):
    """A new API key, as the office's commissaire asks for it on the exchange pages (the
    key acts in their name; the rules are `partner_key_create`'s)."""

    name = forms.CharField(
        label=_("Name of the key"),
        max_length=100,
        help_text=_("What the key is for, e.g. the software's name."),
        error_messages={"required": _("Give the key a name.")},
    )
    scopes = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=PartnerKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(PartnerKey.Scope.values),
        error_messages={"required": _("Choose what the key may do (at least one permission).")},
    )
    expires_on = forms.DateField(
        label=_("Last day of use (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The key stops working at the end of this day."),
        error_messages={"invalid": _("Enter a date, or leave it empty.")},
    )
