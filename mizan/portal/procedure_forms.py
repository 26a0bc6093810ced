"""The filing forms of the procedures other than the complaint (mizan.portal.forms).

Each form lists its fieldsets (what the page shows, in order) and turns its cleaned
data into the case's JSON `details`; the filer's own fields are shared.
"""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from mizan.procedures.common import NEEDS_POWER_OF_ATTORNEY, RELATIONSHIPS
from mizan.procedures.grievance import ADMINISTRATION_ANSWERS
from mizan.procedures.pardon import PARDON_GROUNDS
from mizan.procedures.question import QUESTION_INSTITUTIONS
from mizan.reference.models import Court, Prison, Region

from .forms import Form, MultipleFileField, ReferenceChoiceField

PHONE_WIDGET_ATTRS = {"type": "tel", "autocomplete": "tel", "inputmode": "tel", "dir": "ltr"}


def _past_date(label, required_message, *, required=True, help_text=""):
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": required_message,
            "invalid": _("Enter a real date, for example 01/11/2026."),
        },
    )


class FilingForm(Form):
    """Who files, how to reach them, their consent and their documents."""

    filer_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Enter your full name.")},
    )
    phone = PhoneNumberField(
        label=_("Mobile phone"),
        region="MA",
        help_text=_(
            "A Moroccan number (06…, 07…) or, from abroad, with the country code "
            "(+33…). We send a code to this number, then an SMS at every step."
        ),
        error_messages={
            "required": _("Enter your mobile number: we send the code to it."),
            "invalid": _("Enter a valid mobile number, for example 0612345678 or +33612345678."),
        },
        widget=forms.TextInput(attrs=PHONE_WIDGET_ATTRS),
    )
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    preferred_language = forms.ChoiceField(
        error_messages={"required": _("Choose the language of the messages you receive.")},
        label=_("Language of the messages you receive"),
        choices=settings.LANGUAGES,
    )
    attachments = MultipleFileField(label=_("Documents (optional)"), required=False)
    consent = forms.BooleanField(
        template_name="includes/checkbox_field.html",
        label=_("I agree that my personal data is processed to handle this request (law 09-08)."),
        error_messages={
            "required": _(
                "You must agree to the processing of your data so that the request can be handled."
            )
        },
    )

    # (legend, field names); the filer's block and the documents come last.
    fieldsets: list = []
    filer_fields = ("filer_name", "phone", "email", "preferred_language")
    # Shown under the documents field: what this procedure needs.
    documents_hint = ""

    def __init__(self, *args, language: str = "ar", kept_uploads: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_uploads = kept_uploads
        # Fields in page order, so the error summary lists them as the page shows them.
        self.order_fields(
            [name for _legend, names in self.fieldsets for name in names]
            + list(self.filer_fields)
            + ["attachments", "consent"]
        )
        self.fields["preferred_language"].initial = language
        hint = _("PDF, JPEG or PNG, up to %(count)s files of %(size)s MB each.") % {
            "count": settings.MIZAN_UPLOAD_MAX_FILES,
            "size": settings.MIZAN_UPLOAD_MAX_BYTES // (1024 * 1024),
        }
        self.fields["attachments"].help_text = (
            f"{self.documents_hint} {hint}" if self.documents_hint else hint
        )
        for field in self.fields.values():
            if isinstance(field, ReferenceChoiceField):
                field.label_from_instance = lambda row: row.name

    def sections(self):
        """The page's fieldsets, as (legend, [bound fields])."""
        sections = [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]
        sections.append((_("About you"), [self[name] for name in self.filer_fields]))
        return sections

    def clean(self):
        cleaned = super().clean()
        files = cleaned.get("attachments") or []
        if len(files) + self.kept_uploads > settings.MIZAN_UPLOAD_MAX_FILES:
            self.add_error(
                "attachments",
                _("Attach at most %(count)s files.") % {"count": settings.MIZAN_UPLOAD_MAX_FILES},
            )
        relationship = cleaned.get("relationship")
        if relationship in NEEDS_POWER_OF_ATTORNEY and not (files or self.kept_uploads):
            self.add_error(
                "attachments",
                _("Attach the power of attorney that allows you to act for this person."),
            )
        return cleaned

    def _no_future(self, name):
        value = self.cleaned_data.get(name)
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("This date cannot be in the future."))
        return value

    def filer(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["filer_name"].strip(),
            "email": data["email"] or "",
            "language": data["preferred_language"],
        }

    def details(self) -> dict:  # pragma: no cover - each form has its own
        raise NotImplementedError

    commune = None  # no place of facts: these procedures route otherwise


def _relationship_field():
    return forms.ChoiceField(
        label=_("You file as"),
        choices=[("", "—"), *RELATIONSHIPS],
        error_messages={"required": _("Say whether you file for yourself or for someone else.")},
    )


class PardonForm(FilingForm):
    convicted_name = forms.CharField(
        label=_("Full name of the convicted person"),
        max_length=200,
        error_messages={"required": _("Enter the full name of the convicted person.")},
    )
    convicted_cin = forms.CharField(
        label=_("CIN of the convicted person"),
        max_length=20,
        error_messages={"required": _("Enter the CIN number of the convicted person.")},
        widget=forms.TextInput(attrs={"dir": "ltr", "autocapitalize": "characters"}),
    )
    convicted_birth_date = _past_date(
        _("Date of birth"), _("Enter the date of birth of the convicted person.")
    )
    prison = ReferenceChoiceField(
        label=_("Prison where the person is held"),
        queryset=Prison.objects.all(),
        empty_label="—",
        required=False,
        help_text=_("Leave empty if the person is not in detention."),
    )
    detention_number = forms.CharField(
        label=_("Detention number (optional)"), max_length=40, required=False
    )
    judgment_court = ReferenceChoiceField(
        label=_("Court that gave the judgment"),
        queryset=Court.objects.all(),
        empty_label="—",
        error_messages={"required": _("Choose the court that gave the judgment.")},
    )
    judgment_date = _past_date(_("Date of the judgment"), _("Enter the date of the judgment."))
    judgment_case_number = forms.CharField(
        label=_("Case number of the judgment"),
        max_length=60,
        error_messages={"required": _("Enter the case number shown on the judgment.")},
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    sentence = forms.CharField(
        label=_("Sentence"),
        max_length=300,
        help_text=_("For example: 5 years of imprisonment and a fine of 10,000 dirhams."),
        error_messages={"required": _("Enter the sentence given.")},
    )
    grounds = forms.MultipleChoiceField(
        label=_("Grounds of the request"),
        choices=PARDON_GROUNDS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one ground.")},
    )
    grounds_text = forms.CharField(
        label=_("Explain the grounds"),
        min_length=20,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Explain why a pardon should be granted."),
            "min_length": _(
                "Explain the grounds in at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
        },
    )
    relationship = _relationship_field()

    fieldsets = [
        (
            _("The convicted person"),
            [
                "convicted_name",
                "convicted_cin",
                "convicted_birth_date",
                "prison",
                "detention_number",
            ],
        ),
        (
            _("The judgment"),
            ["judgment_court", "judgment_date", "judgment_case_number", "sentence"],
        ),
        (_("Grounds"), ["grounds", "grounds_text"]),
        (_("Who files"), ["relationship"]),
    ]
    documents_hint = _("A copy of the judgment helps; a medical certificate if you invoke health.")

    def clean_convicted_birth_date(self):
        return self._no_future("convicted_birth_date")

    def clean_judgment_date(self):
        return self._no_future("judgment_date")

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "convicted": {
                "name": data["convicted_name"].strip(),
                "cin": data["convicted_cin"].strip().upper(),
                "birth_date": data["convicted_birth_date"].isoformat(),
                "prison": data["prison"].pk if data["prison"] else "",
                "detention_number": data["detention_number"].strip(),
            },
            "judgment": {
                "court": data["judgment_court"].pk,
                "date": data["judgment_date"].isoformat(),
                "case_number": data["judgment_case_number"].strip(),
                "sentence": data["sentence"].strip(),
            },
            "grounds": data["grounds"],
            "facts": data["grounds_text"].strip(),
            "relationship": data["relationship"],
        }


class BailForm(FilingForm):
    detainee_name = forms.CharField(
        label=_("Full name of the detained person"),
        max_length=200,
        error_messages={"required": _("Enter the full name of the detained person.")},
    )
    detainee_cin = forms.CharField(
        label=_("CIN of the detained person (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocapitalize": "characters"}),
    )
    prison = ReferenceChoiceField(
        label=_("Prison where the person is held"),
        queryset=Prison.objects.all(),
        empty_label="—",
        error_messages={"required": _("Choose the prison where the person is held.")},
    )
    court = ReferenceChoiceField(
        label=_("Court that holds the case"),
        queryset=Court.objects.filter(kind__in=[Court.Kind.FIRST_INSTANCE, Court.Kind.APPEAL]),
        empty_label="—",
        error_messages={"required": _("Choose the court that holds the case.")},
    )
    case_number = forms.CharField(
        label=_("Case number (optional)"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    detention_date = _past_date(
        _("Date of detention"), _("Enter the date the person was detained.")
    )
    guarantee_amount = forms.DecimalField(
        label=_("Guarantee you propose (dirhams)"),
        min_value=1,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
        error_messages={
            "required": _("Enter the amount of the guarantee you propose, in dirhams."),
            "invalid": _("Enter the amount as a number, for example 20000."),
            "min_value": _("Enter an amount greater than zero."),
        },
    )
    surety = forms.CharField(
        label=_("Surety (optional)"),
        max_length=300,
        required=False,
        help_text=_("The person who stands surety, if any, and their link to the detainee."),
    )
    grounds_text = forms.CharField(
        label=_("Grounds of the request"),
        min_length=20,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Fixed address, work, family, health: why the person can await trial free."),
        error_messages={
            "required": _("Explain why the person should be released."),
            "min_length": _(
                "Explain the grounds in at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
        },
    )
    relationship = _relationship_field()

    fieldsets = [
        (_("The detained person"), ["detainee_name", "detainee_cin", "prison", "detention_date"]),
        (_("The case"), ["court", "case_number"]),
        (_("The guarantee and the grounds"), ["guarantee_amount", "surety", "grounds_text"]),
        (_("Who files"), ["relationship"]),
    ]
    documents_hint = _("Proof of address, of work or of family ties help the magistrate.")

    def clean_detention_date(self):
        return self._no_future("detention_date")

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "detainee": {
                "name": data["detainee_name"].strip(),
                "cin": data["detainee_cin"].strip().upper(),
                "prison": data["prison"].pk,
            },
            "court": data["court"].pk,
            "case_number": data["case_number"].strip(),
            "detention_date": data["detention_date"].isoformat(),
            "guarantee_amount": str(data["guarantee_amount"].normalize()),
            "surety": data["surety"].strip(),
            "facts": data["grounds_text"].strip(),
            "relationship": data["relationship"],
        }


class GrievanceForm(FilingForm):
    administration = forms.CharField(
        label=_("Administration concerned"),
        max_length=300,
        help_text=_("For example: the commune of Fès, the regional tax office of Agadir."),
        error_messages={"required": _("Name the administration your grievance is about.")},
    )
    request_made = forms.CharField(
        label=_("What did you ask of it?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what you asked of the administration.")},
    )
    request_date = _past_date(
        _("When did you ask?"), _("Enter when you asked (an approximate date is fine).")
    )
    administration_answer = forms.ChoiceField(
        label=_("What did it answer?"),
        choices=[("", "—"), *ADMINISTRATION_ANSWERS],
        error_messages={"required": _("Say what the administration answered, or that it did not.")},
    )
    facts = forms.CharField(
        label=_("What happened?"),
        min_length=30,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Say what happened, in order, and what you expect from the Mediator."),
        error_messages={
            "required": _("Describe what happened."),
            "min_length": _(
                "Describe what happened in at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
        },
    )
    region = ReferenceChoiceField(
        label=_("Your region"),
        queryset=Region.objects.all(),
        empty_label="—",
        help_text=_(
            "Where you live; if you live abroad, the region of the administration concerned."
        ),
        error_messages={"required": _("Choose your region.")},
    )
    not_before_court = forms.BooleanField(
        template_name="includes/checkbox_field.html",
        label=_("I declare that this matter is not before a court."),
        error_messages={
            "required": _(
                "The Mediator cannot examine a matter that is before a court: tick the box "
                "if it is not."
            )
        },
    )
    relationship = _relationship_field()
    concerned_name = forms.CharField(
        label=_("Name of the person concerned (if you file for someone else)"),
        max_length=200,
        required=False,
    )
    concerned_phone = PhoneNumberField(
        label=_("Their mobile phone (optional): they will be told too"),
        region="MA",
        required=False,
        error_messages={
            "invalid": _("Enter a valid mobile number, for example 0612345678 or +33612345678.")
        },
        widget=forms.TextInput(attrs=PHONE_WIDGET_ATTRS),
    )

    fieldsets = [
        (
            _("The administration"),
            ["administration", "request_made", "request_date", "administration_answer"],
        ),
        (_("Your grievance"), ["facts", "region", "not_before_court"]),
        (_("Who files"), ["relationship", "concerned_name", "concerned_phone"]),
    ]
    documents_hint = _(
        "Your request to the administration and its answer, if you have them; a power of "
        "attorney if you act for someone else."
    )

    def clean_request_date(self):
        return self._no_future("request_date")

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("relationship") not in (None, "", "self")
            and not (cleaned.get("concerned_name") or "").strip()
        ):
            self.add_error("concerned_name", _("Enter the name of the person you file for."))
        return cleaned

    def details(self) -> dict:
        data = self.cleaned_data
        details = {
            "administration": data["administration"].strip(),
            "request_made": data["request_made"].strip(),
            "request_date": data["request_date"].isoformat(),
            "administration_answer": data["administration_answer"],
            "facts": data["facts"].strip(),
            "region": data["region"].pk,
            "not_before_court": True,
            "relationship": data["relationship"],
        }
        if data["relationship"] != "self":
            details["concerned"] = {
                "name": data["concerned_name"].strip(),
                "phone": str(data["concerned_phone"]) if data["concerned_phone"] else "",
            }
        return details


class QuestionForm(FilingForm):
    institution = forms.ChoiceField(
        label=_("Institution you ask"),
        choices=[("", "—"), *QUESTION_INSTITUTIONS],
        error_messages={"required": _("Choose the institution you ask.")},
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        error_messages={"required": _("Give your question a short subject.")},
    )
    question = forms.CharField(
        label=_("Your question"),
        min_length=15,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Do not write names or ID numbers of other people."),
        error_messages={
            "required": _("Write your question."),
            "min_length": _(
                "Write your question in at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
        },
    )

    fieldsets = [(_("Your question"), ["institution", "subject", "question"])]

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "institution": data["institution"],
            "subject": data["subject"].strip(),
            "facts": data["question"].strip(),
        }


FILING_FORMS = {
    "pardon": PardonForm,
    "bail": BailForm,
    "grievance": GrievanceForm,
    "question": QuestionForm,
}
