"""Demo appointments for `make run`: a service of the desk for Moroccans abroad, a
campaign open for the next three months, and its official's weekly hours."""

from datetime import time, timedelta

from django.contrib.auth import get_user_model

from mizan.accounts.models import Role, Unit

from .models import AppointmentService, Availability, Campaign, WeeklyHours
from .slots import morocco_today

DEMO_SERVICES = [
    (
        "mre-family-law",
        "أسئلة قانون الأسرة للمغاربة المقيمين بالخارج",
        "Questions de droit de la famille (Marocains du monde)",
        "Family law questions (Moroccans abroad)",
        30,
    ),
    (
        "mre-court-case",
        "تتبع قضية معروضة على المحكمة",
        "Suivi d'une affaire devant un tribunal",
        "Follow-up of a court case",
        20,
    ),
]


def demo_appointments_create() -> str:
    """Idempotent: the service, the campaign and the hours are created once."""
    official = get_user_model().objects.get(username="official.mre")
    unit = Unit.objects.get(code="MRE")
    services = []
    for code, title_ar, title_fr, title_en, minutes in DEMO_SERVICES:
        service, _created = AppointmentService.objects.get_or_create(
            code=code,
            defaults={
                "unit": unit,
                "title_ar": title_ar,
                "title_fr": title_fr,
                "title_en": title_en,
                "duration_minutes": minutes,
                "roles": [Role.MAGISTRATE],
            },
        )
        services.append(service)
    today = morocco_today()
    campaign = Campaign.objects.filter(name="Demo campaign").first()
    if campaign is None:
        campaign = Campaign.objects.create(
            name="Demo campaign", starts_on=today, ends_on=today + timedelta(days=90)
        )
    campaign.services.add(*services)
    availability, _created = Availability.objects.get_or_create(
        official=official, defaults={"buffer_minutes": 10}
    )
    for weekday in range(5):
        for start, end in ((time(9), time(12)), (time(14), time(16, 30))):
            WeeklyHours.objects.get_or_create(
                availability=availability, weekday=weekday, starts_at=start, ends_at=end
            )
    return f"{len(services)} services, campaign until {campaign.ends_on:%Y-%m-%d}"
