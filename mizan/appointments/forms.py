from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from mizan.core import references
from mizan.core.forms import LongSelect
from mizan.portal.forms import Form, MultipleFileField
from mizan.reference.countries import country_choices

from .timezones import time_zone_choices


class SubjectForm(Form):
    subject = forms.CharField(
        label=_("What do you want to talk about?"),
        help_text=_("A few lines, so that the official can prepare. Do not write passwords."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        error_messages={"required": _("Say in a few words what the appointment is about.")},
    )
    case_reference = forms.CharField(
        label=_("Reference of an existing request (optional)"),
        help_text=_("If the appointment is about a request you filed, e.g. PLT-2026-004817-K."),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    country_of_residence = forms.ChoiceField(
        label=_("Country of residence"),
        help_text=_("Slots are shown in its time; you can change the time zone next."),
        error_messages={"required": _("Choose the country where you live.")},
        widget=LongSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country_of_residence"].choices = country_choices()

    def clean_case_reference(self):
        typed = self.cleaned_data["case_reference"].strip()
        if not typed:
            return ""
        canonical = references.canonical(typed)
        if canonical is None:
            raise forms.ValidationError(
                _("This reference is not valid: check each character, or leave it empty.")
            )
        # Whether such a request exists is checked only once the phone is verified, and
        # against that phone (booking_create): this page, open to anyone, must not tell
        # which references are in use.
        return canonical


class TimeZoneForm(Form):
    tz = forms.ChoiceField(label=_("Show times in the time zone"), widget=LongSelect)

    def __init__(self, *args, country: str = "", current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tz"].choices = time_zone_choices(country, current)


class SlotForm(Form):
    slot = forms.ChoiceField(
        label=_("Choose a slot"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a slot."),
            # The slot was free when the page was shown: someone took it since (or it
            # has just passed). Django's own message would show its UTC key.
            "invalid_choice": _("Someone has just booked this slot. Please choose another one."),
        },
    )

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [(slot.key, slot.key) for slot in slots]


class DetailsForm(Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
        error_messages={"required": _("Enter your full name.")},
    )
    phone = PhoneNumberField(
        label=_("Mobile phone number"),
        help_text=_(
            "With the country code if it is not a Moroccan number, e.g. +33 6 12 34 56 78. "
            "We send a code to it, then the confirmation and the reminders."
        ),
        region="MA",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "dir": "ltr", "type": "tel"}),
        error_messages={
            "required": _("Enter your mobile phone number."),
            "invalid": _("Enter a valid phone number, e.g. 06 12 34 56 78 or +33 6 12 34 56 78."),
        },
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
        error_messages={"invalid": _("Enter a valid e-mail address, e.g. name@example.com.")},
    )
    phone_call_fallback = forms.BooleanField(
        label=_("If the video does not work, call me on this phone"),
        required=False,
        initial=True,
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my details are used to organise this appointment "
            "(law 09-08 on personal data)."
        ),
        error_messages={"required": _("Your agreement is needed to book the appointment.")},
    )


class ManageForm(Form):
    reference = forms.CharField(
        label=_("Appointment reference"),
        help_text=_("In the confirmation SMS, e.g. RDV-2026-04817215-K."),
        max_length=30,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
        error_messages={"required": _("Enter the reference of your appointment.")},
    )
    phone = PhoneNumberField(
        label=_("Mobile phone number used to book"),
        region="MA",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "dir": "ltr", "type": "tel"}),
        error_messages={
            "required": _("Enter your mobile phone number."),
            "invalid": _("Enter a valid phone number, e.g. 06 12 34 56 78 or +33 6 12 34 56 78."),
        },
    )


class CloseForm(Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("held", _("Held")),
            ("no_show", _("Citizen absent")),
            ("cancelled", _("Cancel (the citizen is told by SMS)")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an outcome.")},
    )
    notes = forms.CharField(
        label=_("Notes (for the file, not sent to the citizen)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )


class BookingDocumentsForm(Form):
    documents = MultipleFileField(
        label=_("Documents for the official"),
        help_text=_(
            "PDF, JPEG or PNG, e.g. a judgment or a letter you want to talk about. Only "
            "the official of your appointment reads them."
        ),
        error_messages={"required": _("Choose at least one file to send.")},
    )
