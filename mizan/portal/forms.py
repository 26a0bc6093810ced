from django import forms
from django.conf import settings
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from mizan.core.forms import LongSelect
from mizan.procedures.complaint import COMPLAINANT_KINDS, COMPLAINT_CATEGORIES, ID_KINDS
from mizan.reference.countries import country_choices
from mizan.reference.models import Commune, Province


class Form(forms.Form):
    """Labels without a trailing colon: cleaner, and right in both directions."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def show_again(self) -> None:
        """Show what was typed again without checking it: a post that only asked for
        the communes of the chosen province (without JavaScript) is not a submission,
        and its unfinished fields are no error. A refused upload can still be said."""
        self._errors = ErrorDict()
        self.cleaned_data = {}


class ReferenceChoiceField(forms.ModelChoiceField):
    """A choice from reference data; a value no key can have is refused before any query."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        # An empty file is refused by the documents service, with the file's name.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class ComplaintForm(Form):
    """The complaint as the citizen fills it in; every field keeps what was typed."""

    complainant_kind = forms.ChoiceField(
        error_messages={
            "required": _("Choose whether you file as a person or for a company or association.")
        },
        label=_("You file as"),
        choices=COMPLAINANT_KINDS,
        widget=forms.RadioSelect,
        initial="person",
    )
    complainant_name = forms.CharField(
        error_messages={
            "required": _("Enter your full name, or the name of the company or association.")
        },
        label=_("Full name (or name of the company or association)"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_kind = forms.ChoiceField(
        error_messages={"required": _("Choose the kind of identity document.")},
        label=_("Identity document"),
        choices=ID_KINDS,
        initial="cin",
    )
    id_number = forms.CharField(
        error_messages={"required": _("Enter the number of your identity document.")},
        label=_("Document number"),
        max_length=40,
    )
    nationality = forms.ChoiceField(
        error_messages={"required": _("Choose your nationality.")},
        label=_("Nationality"),
        initial="MA",
        widget=LongSelect,
    )
    country_of_residence = forms.ChoiceField(
        error_messages={"required": _("Choose the country where you live.")},
        label=_("Country of residence"),
        initial="MA",
        widget=LongSelect,
    )
    # One text box: a Moroccan number as dialled at home, or any number with its
    # country code (+33…, +34…) for Moroccans abroad.
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
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "dir": "ltr"}
        ),
    )
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    preferred_language = forms.ChoiceField(
        error_messages={"required": _("Choose the language of the messages you receive.")},
        label=_("Language of the messages you receive"),
        choices=settings.LANGUAGES,
    )
    accused_unknown = forms.BooleanField(
        template_name="includes/checkbox_field.html",
        label=_("I do not know who the person responsible is"),
        required=False,
    )
    accused = forms.CharField(
        label=_("Person(s) complained about"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One person per line: name, and anything that identifies them."),
    )
    category = forms.ChoiceField(
        error_messages={"required": _("Choose what the complaint is about.")},
        label=_("What is it about?"),
        choices=[("", "—"), *COMPLAINT_CATEGORIES],
    )
    facts = forms.CharField(
        error_messages={
            "required": _("Describe what happened."),
            "min_length": _(
                "Describe what happened in at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
        },
        label=_("What happened?"),
        min_length=30,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Say what happened, in order, with the names of any witnesses."),
    )
    facts_date = forms.DateField(
        error_messages={
            "required": _("Enter the date of the facts (an approximate date is fine)."),
            "invalid": _("Enter a real date, for example 01/11/2026."),
        },
        label=_("Date of the facts"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("If you do not know the exact day, give an approximate date."),
    )
    province = ReferenceChoiceField(
        error_messages={"required": _("Choose the province or prefecture where it happened.")},
        label=_("Province or prefecture where it happened"),
        queryset=Province.objects.all(),
        empty_label="—",
    )
    commune = ReferenceChoiceField(
        error_messages={
            "required": _("Choose the commune where it happened."),
            "invalid_choice": _("Choose a commune of the chosen province."),
        },
        label=_("Commune where it happened"),
        queryset=Commune.objects.none(),
        empty_label="—",
    )
    attachments = MultipleFileField(
        label=_("Documents (optional)"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
    )
    consent = forms.BooleanField(
        template_name="includes/checkbox_field.html",
        label=_("I agree that my personal data is processed to handle this complaint (law 09-08)."),
        error_messages={
            "required": _(
                "You must agree to the processing of your data so "
                "that the complaint can be handled."
            )
        },
    )

    def __init__(self, *args, language: str = "ar", kept_uploads: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_uploads = kept_uploads
        countries = country_choices()
        self.fields["nationality"].choices = countries
        self.fields["country_of_residence"].choices = countries
        self.fields["preferred_language"].initial = language
        province_field = self.fields["province"]
        province_field.label_from_instance = lambda province: province.name
        self.fields["commune"].label_from_instance = lambda commune: commune.name
        self.fields["attachments"].help_text = _(
            "PDF, JPEG or PNG, up to %(count)s files of %(size)s MB each."
        ) % {
            "count": settings.MIZAN_UPLOAD_MAX_FILES,
            "size": settings.MIZAN_UPLOAD_MAX_BYTES // (1024 * 1024),
        }
        province_code = self.data.get("province") or self.initial.get("province")
        if isinstance(province_code, str) and province_code and "\x00" not in province_code:
            self.fields["commune"].queryset = Commune.objects.filter(province_id=province_code)

    def clean_facts_date(self):
        value = self.cleaned_data["facts_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of the facts cannot be in the future."))
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("accused_unknown") and not (cleaned.get("accused") or "").strip():
            self.add_error(
                "accused",
                _(
                    "Name the person(s) complained about, or tick “I do not know who the "
                    "person responsible is”."
                ),
            )
        province, commune = cleaned.get("province"), cleaned.get("commune")
        if province and commune and commune.province_id != province.pk:
            self.add_error("commune", _("Choose a commune of the chosen province."))
        files = cleaned.get("attachments") or []
        if len(files) + self.kept_uploads > settings.MIZAN_UPLOAD_MAX_FILES:
            self.add_error(
                "attachments",
                _("Attach at most %(count)s files.") % {"count": settings.MIZAN_UPLOAD_MAX_FILES},
            )
        return cleaned

    def sections(self):
        """The fieldsets, for pages that lay the form out generically (assisted filing)."""
        groups = [
            (
                _("About the complainant"),
                [
                    "complainant_kind",
                    "complainant_name",
                    "id_kind",
                    "id_number",
                    "nationality",
                    "country_of_residence",
                    "phone",
                    "email",
                    "preferred_language",
                ],
            ),
            (_("Who is complained about"), ["accused_unknown", "accused"]),
            (_("The facts"), ["category", "facts", "facts_date", "province", "commune"]),
        ]
        return [(legend, [self[name] for name in names]) for legend, names in groups]

    def filer(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["complainant_name"].strip(),
            "email": data["email"] or "",
            "language": data["preferred_language"],
        }

    def details(self) -> dict:
        """What the case keeps of the form (JSON-safe)."""
        data = self.cleaned_data
        return {
            "complainant_kind": data["complainant_kind"],
            "id_kind": data["id_kind"],
            "id_number": data["id_number"].strip(),
            "nationality": data["nationality"],
            "country_of_residence": data["country_of_residence"],
            "accused_unknown": data["accused_unknown"],
            "accused": [
                line.strip() for line in (data["accused"] or "").splitlines() if line.strip()
            ],
            "category": data["category"],
            "facts": data["facts"].strip(),
            "facts_date": data["facts_date"].isoformat(),
            "province": data["province"].pk,
            "commune": data["commune"].pk,
        }


class CodeForm(Form):
    code = forms.CharField(
        error_messages={"required": _("Enter the code you received by SMS.")},
        label=_("Code received by SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "dir": "ltr",
            }
        ),
    )


class TrackForm(Form):
    reference = forms.CharField(
        error_messages={"required": _("Enter the reference of your request.")},
        label=_("Reference"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "dir": "ltr"}
        ),
    )
    access_code = forms.CharField(
        label=_("Access code (optional)"),
        max_length=20,
        required=False,
        help_text=_(
            "Given when you filed. Without it, we send a code by SMS to the phone "
            "number used when filing."
        ),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "dir": "ltr"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The example stays left-to-right inside Arabic text.
        self.fields["reference"].help_text = format_html(
            _("As in your SMS, for example {example}."),
            example=format_html('<bdi dir="ltr">{}</bdi>', "PLT-2026-004817-K"),
        )


class InformationForm(Form):
    message = forms.CharField(
        error_messages={"required": _("Write your answer.")},
        label=_("Your answer"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachments = MultipleFileField(
        label=_("Documents (optional)"), required=False, help_text=_("PDF, JPEG or PNG.")
    )


class CitizenStepForm(Form):
    """One of the citizen's own steps on the tracking page (withdraw, agree to a
    handover, send a deposit receipt): fields follow what the step takes."""

    message = forms.CharField(
        label=_("Message (optional)"),
        max_length=8000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(
        label=_("Documents"), required=False, help_text=_("PDF, JPEG or PNG.")
    )
    confirm = forms.BooleanField(
        template_name="includes/checkbox_field.html",
        label=_("I confirm that I want to withdraw my request."),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )

    def __init__(self, *args, step, **kwargs):
        super().__init__(*args, prefix=step.name, **kwargs)
        self.step = step
        if step.name != "withdraw":
            del self.fields["confirm"]
        if not step.uploads:
            del self.fields["attachments"]
        elif step.uploads_required:
            self.fields["attachments"].required = True
            self.fields["attachments"].error_messages["required"] = _(
                "Attach the document (PDF, JPEG or PNG)."
            )
        if step.message_required:
            self.fields["message"].required = True
            self.fields["message"].label = _("Your message")
            self.fields["message"].error_messages["required"] = _("Write your message.")


class SpacePhoneForm(Form):
    phone = PhoneNumberField(
        label=_("Mobile phone"),
        region="MA",
        help_text=_("The number you used when filing. We send a code to it."),
        error_messages={
            "required": _("Enter your mobile number: we send the code to it."),
            "invalid": _("Enter a valid mobile number, for example 0612345678 or +33612345678."),
        },
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "dir": "ltr"}
        ),
    )
