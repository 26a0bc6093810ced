from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .services import RECEIPT_MAX_BYTES


class ReceiptVerifyForm(forms.Form):
    receipt = forms.FileField(
        label=_("Receipt (PDF file)"),
        help_text=_("The PDF file exactly as it was downloaded from Mizan."),
        error_messages={
            "required": _("Choose the receipt's PDF file."),
            "empty": _("This file is empty: choose the receipt's PDF file."),
            "invalid": _("Choose the receipt's PDF file."),
        },
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    reference = forms.CharField(
        label=_("Reference (optional)"),
        help_text=_("Type it to check that the receipt is for this request."),
        max_length=30,
        required=False,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "dir": "ltr"}
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_receipt(self) -> bytes:
        """The file's bytes, read only when small enough to be a receipt."""
        uploaded = self.cleaned_data["receipt"]
        if uploaded.size > RECEIPT_MAX_BYTES:
            raise forms.ValidationError(
                _("This file is %(size)s: a Mizan receipt is never larger than %(limit)s."),
                params={
                    "size": filesizeformat(uploaded.size),
                    "limit": filesizeformat(RECEIPT_MAX_BYTES),
                },
                code="too_large",
            )
        return uploaded.read(RECEIPT_MAX_BYTES + 1)
