from django import forms
from django.utils.translation import gettext_lazy as _

from mizan.portal.forms import Form, MultipleFileField, ReferenceChoiceField
from mizan.reference.models import Commune, Province

from .models import CommissaireOffice, ExchangeAttempt, ExchangeFile


class ExchangeFileForm(Form):
    """A court registry's new file. Documents are checked and kept by the view (so a
    form sent back keeps them); the rules are the service's."""

    court_unit = forms.ModelChoiceField(
        label=_("Sending court registry"),
        queryset=None,
        empty_label=None,
        error_messages={"required": _("Choose the sending court registry.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of file"),
        choices=ExchangeFile.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of file.")},
    )
    subject = forms.CharField(
        label=_("Document to serve, or judgment to enforce"),
        max_length=300,
        error_messages={"required": _("Describe what is to be served or enforced.")},
    )
    addressee_name = forms.CharField(
        label=_("Addressee's name"),
        max_length=200,
        error_messages={"required": _("Give the addressee's name.")},
    )
    addressee_address = forms.CharField(
        label=_("Addressee's address"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the addressee's address.")},
    )
    province = ReferenceChoiceField(
        label=_("Province or prefecture of the address"),
        queryset=Province.objects.all(),
        empty_label="—",
        error_messages={"required": _("Choose the province or prefecture of the address.")},
    )
    commune = ReferenceChoiceField(
        label=_("Commune of the address"),
        queryset=Commune.objects.none(),
        empty_label="—",
        help_text=_("The office must be competent for this commune (its court of appeal area)."),
        error_messages={
            "required": _("Choose the commune of the address."),
            "invalid_choice": _("Choose a commune of the chosen province."),
        },
    )
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Required for a service: the date by which the document must be served."),
    )
    judgment_reference = forms.CharField(
        label=_("Judgment reference (enforcement)"), max_length=100, required=False
    )
    parties = forms.CharField(
        label=_("Parties: creditor and debtor (enforcement)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    amount_due = forms.DecimalField(
        label=_("Amount due in dirhams (enforcement)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )
    office = forms.ModelChoiceField(
        label=_("Commissaire de justice office"),
        queryset=CommissaireOffice.objects.filter(is_active=True).select_related("appeal_court"),
        required=False,
        empty_label=_("The next office in turn (rotation)"),
        help_text=_("Choose an office only when the litigant named one."),
    )
    case_reference = forms.CharField(
        label=_("Litigant's request on Mizan (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "The reference the litigant received when filing their request (for example "
            "PLT-2026-000123-B). They will follow this file on their tracking page and get "
            "an SMS when the document is served or the enforcement completed."
        ),
    )
    documents = MultipleFileField(
        label=_("Documents"),
        required=False,
        help_text=_("PDF, JPEG or PNG: the document to serve, or the judgment to enforce."),
    )

    def __init__(self, *args, court_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["court_unit"].queryset = court_units
        self.fields["province"].label_from_instance = lambda province: province.name
        self.fields["commune"].label_from_instance = lambda commune: commune.name
        self.fields["office"].label_from_instance = lambda office: (
            f"{office.name} — {office.registration_number} — {office.appeal_court.name}"
        )
        province_code = self.data.get("province") or self.initial.get("province")
        if isinstance(province_code, str) and province_code and "\x00" not in province_code:
            self.fields["commune"].queryset = Commune.objects.filter(province_id=province_code)

    def clean(self):
        cleaned = super().clean()
        province, commune = cleaned.get("province"), cleaned.get("commune")
        if province and commune and commune.province_id != province.pk:
            self.add_error("commune", _("Choose a commune of the chosen province."))
        return cleaned


class CaseLinkForm(Form):
    """The sending registry links a file to the litigant's request after sending it."""

    case_reference = forms.CharField(
        label=_("Reference of the litigant's request"),
        max_length=40,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("For example PLT-2026-000123-B, as the litigant received it."),
        error_messages={"required": _("Give the reference of the litigant's request.")},
    )


class AttemptForm(Form):
    attempted_at = forms.DateTimeField(
        label=_("Date and time of the attempt"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": _("Give the date and time of the attempt."),
            "invalid": _("Give the date and time of the attempt."),
        },
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=300,
        error_messages={"required": _("Give the place of the attempt.")},
    )
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[("", "—"), *ExchangeAttempt.Result.choices],
        error_messages={"required": _("Choose the result of the attempt.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecoveryForm(Form):
    amount = forms.DecimalField(
        label=_("Amount recovered (dirhams)"),
        min_value=0.01,
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
        error_messages={
            "required": _("Give the amount recovered, in dirhams (for example 1500.00)."),
            "invalid": _("Give the amount recovered, in dirhams (for example 1500.00)."),
        },
    )
    recovered_on = forms.DateField(
        label=_("Date of the recovery"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Give the date of the recovery (today or earlier)."),
            "invalid": _("Give the date of the recovery (today or earlier)."),
        },
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReportForm(Form):
    report = forms.FileField(
        label=_("Report (procès-verbal), signed, as PDF"),
        allow_empty_file=True,
        error_messages={"required": _("Attach the report as a PDF file.")},
    )


class ReasonForm(Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason.")},
    )


class ConfirmForm(Form):
    """A step with nothing to fill in (acknowledge, complete)."""


STEP_FORMS = {
    "acknowledge": ConfirmForm,
    "record_attempt": AttemptForm,
    "record_recovery": RecoveryForm,
    "upload_report": ReportForm,
    "complete": ConfirmForm,
    "fail": ReasonForm,
    "withdraw": ReasonForm,
}
