"""The web's Django forms, described for an app and filled in from JSON.

Everything here is read from the form classes the web pages use, field by field (type,
rules, words in the request's language, choices), so an app renders the same form and
is refused for the same reasons, and the description never drifts from the web form.
"""

import re

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from phonenumber_field.formfields import PhoneNumberField

from mizan.documents.services import ACCEPTED_TYPES
from mizan.portal.forms import ComplaintForm
from mizan.portal.procedure_forms import FILING_FORMS
from mizan.procedures.registry import PROCEDURES

from .errors import FormInvalid, form_errors

# The API takes documents as ids of earlier uploads (POST /uploads), never as files in
# the filing: the web form's file field is described apart, under this name.
ATTACHMENTS_FIELD = "attachment_ids"

# Most specific first: subclasses before their bases.
_TYPES: list[tuple[type, str]] = [
    (forms.FileField, "file"),
    (PhoneNumberField, "phone"),
    (forms.EmailField, "email"),
    (forms.ModelMultipleChoiceField, "multiple_reference"),
    (forms.ModelChoiceField, "reference"),
    (forms.MultipleChoiceField, "multiple_choice"),
    (forms.ChoiceField, "choice"),
    (forms.BooleanField, "boolean"),
    (forms.DateField, "date"),
    (forms.DecimalField, "decimal"),
    (forms.IntegerField, "integer"),
]
_WIDGETS: list[tuple[type, str]] = [
    (forms.CheckboxSelectMultiple, "checkboxes"),
    (forms.RadioSelect, "radio"),
    (forms.SelectMultiple, "select_multiple"),
    (forms.Select, "select"),
    (forms.CheckboxInput, "checkbox"),
    (forms.Textarea, "textarea"),
    (forms.DateInput, "date"),
    (forms.EmailInput, "email"),
    (forms.NumberInput, "number"),
]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def filing_form_class(procedure: str):
    """The web's filing form of a procedure (None for a procedure without one)."""
    if procedure not in PROCEDURES:
        return None
    return ComplaintForm if procedure == "complaint" else FILING_FORMS.get(procedure)


def field_type(field: forms.Field) -> str:
    return next((name for kind, name in _TYPES if isinstance(field, kind)), "string")


def _widget(field: forms.Field) -> str:
    return next((name for kind, name in _WIDGETS if isinstance(field.widget, kind)), "text")


def _plain(value) -> str:
    return strip_tags(str(value or "")).strip()


def _number(value) -> str | None:
    # Decimal bounds as text: JSON numbers would lose the exactness the form checks.
    return None if value is None else str(value)


def _reference_dependency(form, name: str, field: forms.ModelChoiceField) -> str | None:
    """The other field whose value narrows this one's choices (the commune's province):
    a foreign key of this field's model to the model of another field of the form."""
    model = field.queryset.model
    others = {
        other.queryset.model: other_name
        for other_name, other in form.fields.items()
        if other_name != name and isinstance(other, forms.ModelChoiceField)
    }
    for model_field in model._meta.get_fields():
        target = getattr(model_field, "related_model", None)
        if model_field.many_to_one and target is not model and target in others:
            return others[target]
    return None


def describe_field(form, name: str, field: forms.Field, *, choices_url=None) -> dict:
    kind = field_type(field)
    description = {
        "name": name,
        "type": kind,
        "widget": _widget(field),
        "required": field.required,
        "label": _plain(field.label),
        "help": _plain(field.help_text),
        "max_length": getattr(field, "max_length", None),
        "min_length": getattr(field, "min_length", None),
        "min_value": _number(getattr(field, "min_value", None)),
        "max_value": _number(getattr(field, "max_value", None)),
        "max_digits": getattr(field, "max_digits", None),
        "decimal_places": getattr(field, "decimal_places", None),
        "initial": None,
        "choices": None,
        "choices_url": None,
        "depends_on": None,
    }
    initial = form.initial.get(name, field.initial)
    if isinstance(initial, str | bool | int) and not callable(initial):
        description["initial"] = initial
    if kind in ("reference", "multiple_reference"):
        # Reference data can be long (1,500 communes): the app fetches it on demand.
        description["choices_url"] = choices_url(name) if choices_url else None
        description["depends_on"] = _reference_dependency(form, name, field)
    elif kind in ("choice", "multiple_choice"):
        description["choices"] = [
            {"value": str(value), "label": _plain(label)}
            for value, label in field.choices
            if value not in ("", None)
        ]
    return description


def describe_fields(form, *, choices_url=None) -> list[dict]:
    return [
        describe_field(form, name, field, choices_url=choices_url)
        for name, field in form.fields.items()
        if not isinstance(field, forms.FileField)
    ]


def file_field(form) -> forms.FileField | None:
    return next((f for f in form.fields.values() if isinstance(f, forms.FileField)), None)


def describe_procedure(code: str, *, language: str) -> dict:
    procedure = PROCEDURES[code]
    form = filing_form_class(code)(language=language)

    def choices_url(name: str) -> str:
        return reverse("api-v1:procedure_field_choices", kwargs={"code": code, "name": name})

    documents = file_field(form)
    return {
        "code": code,
        "label": str(procedure.label),
        "title": str(procedure.title or procedure.label),
        "description": str(procedure.description or ""),
        "fields": describe_fields(form, choices_url=choices_url),
        "sections": [
            {"legend": _plain(legend), "fields": [bound.name for bound in bound_fields]}
            for legend, bound_fields in form.sections()
        ],
        "documents": {
            "field": ATTACHMENTS_FIELD,
            "hint": _plain(getattr(form, "documents_hint", "")),
            "help": _plain(documents.help_text if documents else ""),
            "required": bool(documents and documents.required),
            "max_files": settings.MIZAN_UPLOAD_MAX_FILES,
            "max_bytes": settings.MIZAN_UPLOAD_MAX_BYTES,
            "accepted_types": sorted(ACCEPTED_TYPES),
        },
    }


def field_choices(code: str, name: str, *, query: dict, language: str) -> list[dict] | None:
    """The choices of one field as the form offers them, narrowed by the values in
    `query` (the commune's province); None when the field has no choices."""
    form_class = filing_form_class(code)
    if form_class is None:
        return None
    form = form_class(data=query, language=language)
    field = form.fields.get(name)
    if isinstance(field, forms.ModelChoiceField):
        label = getattr(field, "label_from_instance", str)
        rows = [{"value": str(row.pk), "label": str(label(row))} for row in field.queryset]
        return sorted(rows, key=lambda row: row["label"])
    if isinstance(field, forms.ChoiceField):
        return describe_field(form, name, field)["choices"]
    return None


def bind_form(form_class, fields: dict, *, defaults: dict | None = None, **form_kwargs):
    """The web form bound to an app's JSON fields, validated, or FormInvalid.

    JSON brings what an HTML form cannot (lists for single values, unknown names); such
    input is refused field by field, with the form's own words where it has them.
    """
    probe = form_class(**form_kwargs)
    errors: list[dict] = []
    data = {}
    defaults = {name: value for name, value in (defaults or {}).items() if name in probe.fields}
    for name, value in {**defaults, **fields}.items():
        if value is None:
            # JSON null is "not given": the default applies, or the form says it is needed.
            value = defaults.get(name)
        field = probe.fields.get(name)
        if field is None or isinstance(field, forms.FileField):
            message = _("This form has no such field.")
            errors.append({"field": name, "code": "unknown_field", "message": message})
            continue
        multiple = isinstance(field, forms.MultipleChoiceField)
        if isinstance(value, list) and not multiple:
            errors.append(
                {"field": name, "code": "invalid", "message": _("Give one value, not a list.")}
            )
            continue
        if value is None:
            continue
        if multiple and not isinstance(value, list):
            value = [value]
        if isinstance(field, forms.DateField) and not (
            isinstance(value, str) and _ISO_DATE.fullmatch(value)
        ):
            # Only ISO dates: "01/11/2026" is 1 November in French but 11 January in
            # English, and the app's language must not change the date filed.
            errors.append(
                {"field": name, "code": "invalid", "message": str(field.error_messages["invalid"])}
            )
            continue
        data[probe.add_prefix(name)] = value
    form = form_class(data=data, **form_kwargs)
    valid = form.is_valid()
    if errors or not valid:
        reported = {row["field"] for row in errors}
        for row in form_rows(form):
            if row["field"] not in reported:
                errors.append(row)
        raise FormInvalid(errors)
    return form


def form_rows(form) -> list[dict]:
    """The form's errors, the web's file field reported under the API's name for it."""
    rows = form_errors(form)
    for row in rows:
        if row["field"] is not None and isinstance(form.fields.get(row["field"]), forms.FileField):
            row["field"] = ATTACHMENTS_FIELD
    return rows
