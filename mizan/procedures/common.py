"""Choices and helpers shared by several procedures."""

from django.utils.translation import gettext_lazy as _

# Who files, for whom: recorded on every procedure that can be filed for someone else.
RELATIONSHIPS = [
    ("self", _("Myself (I am the person concerned)")),
    ("spouse", _("Spouse")),
    ("parent", _("Father or mother")),
    ("child", _("Son or daughter")),
    ("sibling", _("Brother or sister")),
    ("relative", _("Other relative")),
    ("lawyer", _("Lawyer")),
    ("other", _("Other representative (with a power of attorney)")),
]
# Relationships that need a power of attorney attached.
NEEDS_POWER_OF_ATTORNEY = {"other"}

# How a request reached Mizan: counted in the statistics.
CHANNELS = [
    ("web", _("Website")),
    ("app", _("Mobile app")),
    ("counter", _("Counter of a court or office")),
    ("stand", _("Mediator's stand")),
    ("phone", _("Telephone")),
    ("post", _("Post")),
    ("email", _("E-mail")),
]


def label_of(choices, value) -> str:
    return dict(choices).get(value, "") if value else ""
