from functools import lru_cache

from django import forms
from django.forms.renderers import TemplatesSetting
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class FormRenderer(TemplatesSetting):
    """Each field in its own block (spacing, error highlight), rendered with the
    project's templates."""

    field_template_name = "includes/field.html"


class LongSelect(forms.Select):
    """A <select> of hundreds of options (countries, time zones) rendered in Python.

    Django's Select renders one template per option: for the ~420 time zones of the
    booking page that was most of the page's CPU (bench/README.md, booking scenario),
    on the very page thousands of citizens reload when a campaign opens. The markup is
    the same as Django's (attributes from the bound field: id, required,
    aria-describedby, aria-invalid), so labels, error links and tests are unaffected.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(item) for item in self.format_value(value)}
        parts = []
        for group, choices in self._groups():
            options = "".join(
                _option(str(option), str(label), str(option) in selected)
                for option, label in choices
            )
            if group is None:
                parts.append(options)
            else:
                parts.append(
                    format_html('<optgroup label="{}">{}</optgroup>', group, mark_safe(options))
                )
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(parts)))

    def _groups(self):
        loose = []
        for option, label in self.choices:
            if isinstance(label, (list, tuple)):
                if loose:
                    yield None, loose
                    loose = []
                yield str(option), label
            else:
                loose.append((option, label))
        if loose:
            yield None, loose


@lru_cache(maxsize=8192)
def _option(value: str, label: str, selected: bool) -> str:
    if selected:
        return format_html('<option value="{}" selected>{}</option>', value, label)
    return format_html('<option value="{}">{}</option>', value, label)
