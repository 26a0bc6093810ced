"""Remote appointments: services, campaigns, officials' availability, bookings, reminders.

Every instant is stored in UTC (Django's `USE_TZ`); officials' weekly hours are wall
times in Morocco's legal time (Africa/Casablanca), turned into instants day by day with
the time-zone database, so slots stay right when Morocco changes its clock around
Ramadan. Double booking is refused by the database itself (conditional unique
constraints), not only by the code that checks first.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from mizan.accounts.models import Unit


class AppointmentService(models.Model):
    """What a citizen can book with an institution, e.g. "family law questions"."""

    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="appointment_services",
        verbose_name=_("unit"),
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    # Role values (mizan.accounts.models.Role): members of the unit with one of them
    # and with weekly hours hold the appointments.
    roles = models.JSONField(_("roles that hold it"), default=list)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit__institution", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5), name="appointment_service_duration"
            ),
        ]
        verbose_name = _("appointment service")
        verbose_name_plural = _("appointment services")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        language = (get_language() or "ar")[:2]
        return getattr(self, f"title_{language}", "") or self.title_fr or self.title_ar

    @property
    def institution(self):
        return self.unit.institution


class Campaign(models.Model):
    """A period during which some services can be booked (e.g. 15 June – 15 September)."""

    name = models.CharField(_("name"), max_length=200)
    # Dates in Morocco's calendar, both included.
    starts_on = models.DateField(_("opens on"))
    ends_on = models.DateField(_("closes on"))
    services = models.ManyToManyField(
        AppointmentService, related_name="campaigns", verbose_name=_("services")
    )

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="appointment_campaign_period",
            ),
        ]
        verbose_name = _("booking campaign")
        verbose_name_plural = _("booking campaigns")

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"


class Availability(models.Model):
    """An official's calendar for appointments: weekly hours, leave, and a buffer."""

    official = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="appointment_availability",
        verbose_name=_("official"),
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between appointments (minutes)"), default=10
    )
    is_active = models.BooleanField(_("takes appointments"), default=True)

    class Meta:
        verbose_name = _("official's availability")
        verbose_name_plural = _("officials' availability")

    def __str__(self) -> str:
        return self.official.get_full_name() or self.official.get_username()


class WeeklyHours(models.Model):
    """A stretch of a weekday, in Morocco's legal time, when the official takes calls."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    availability = models.ForeignKey(
        Availability, on_delete=models.CASCADE, related_name="weekly_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts_at = models.TimeField(_("from (Morocco time)"))
    ends_at = models.TimeField(_("to (Morocco time)"))

    class Meta:
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_hours_order",
            ),
        ]
        verbose_name = _("weekly hours")
        verbose_name_plural = _("weekly hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class Leave(models.Model):
    """Days the official takes no appointment (leave, training...). Public holidays
    (fixed ones and the religious ones entered by `load_holidays`) are closed already."""

    availability = models.ForeignKey(Availability, on_delete=models.CASCADE, related_name="leaves")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (included)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="appointment_leave_period",
            ),
        ]
        verbose_name = _("leave")
        verbose_name_plural = _("leave")

    def __str__(self) -> str:
        return f"{self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d}"


class Booking(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        HELD = "held", _("held")
        NO_SHOW = "no_show", _("citizen absent")

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    service = models.ForeignKey(
        AppointmentService,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("service"),
    )
    official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointment_bookings",
        verbose_name=_("official"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    citizen_name = models.CharField(_("full name"), max_length=200)
    citizen_phone = PhoneNumberField(_("mobile phone"))
    citizen_email = models.EmailField(_("e-mail"), blank=True)
    country_of_residence = models.CharField(_("country of residence"), max_length=2)
    time_zone = models.CharField(_("time zone"), max_length=64)
    language = models.CharField(_("language"), max_length=10)
    subject = models.TextField(_("subject"))
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
        verbose_name=_("related request"),
    )
    # The official calls the citizen's phone if the video does not work (or is not set up).
    phone_call_fallback = models.BooleanField(_("phone call if the video fails"), default=True)
    # Jitsi room name and the key of the citizen's join link: random, never derived
    # from the reference, so neither can be guessed from it.
    room = models.CharField(max_length=40, unique=True)
    join_key = models.CharField(max_length=32)
    official_notes = models.TextField(_("official's notes"), blank=True)
    created_at = models.DateTimeField(_("booked at"))
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=20, blank=True)
    # Law 09-08: the citizen's data is removed once the retention period after the
    # appointment is over (mizan/appointments/retention.py); the rest feeds statistics.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            # No double booking of an official: the database refuses the second row
            # even when two requests check "free" at the same moment.
            models.UniqueConstraint(
                fields=["official", "starts_at"],
                condition=models.Q(status="active"),
                name="appointment_official_slot_unique",
            ),
            # One active booking per phone and service (an anonymised booking has no
            # phone any more, so it takes no part).
            models.UniqueConstraint(
                fields=["citizen_phone", "service"],
                condition=models.Q(status="active", anonymised_at__isnull=True),
                name="appointment_one_active_per_phone",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_booking_order",
            ),
        ]
        indexes = [models.Index(fields=["official", "status", "starts_at"])]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")

    def __str__(self) -> str:
        return self.reference


class Reminder(models.Model):
    """An SMS due before the appointment; queued through the notifications outbox when
    due (by a task deferred to that instant, and by the sweep as a safety net)."""

    class Kind(models.TextChoices):
        DAY_BEFORE = "24h", _("24 hours before")
        HOUR_BEFORE = "1h", _("1 hour before")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("queued for sending")
        CANCELLED = "cancelled", _("cancelled")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    notification = models.ForeignKey(
        "notifications.Notification",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self) -> str:
        return f"{self.booking} {self.kind} {self.status}"


class BookingDocument(models.Model):
    """A document the citizen sends the official before the call (a judgment, a letter).

    The file is an `Attachment` (mizan.documents): content sniffed, size-capped, SHA-256,
    virus-scanned, as every upload; this row says which booking it was sent for.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="documents")
    attachment = models.OneToOneField(
        "documents.Attachment", on_delete=models.PROTECT, related_name="booking_document"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("document for the appointment")
        verbose_name_plural = _("documents for the appointment")

    def __str__(self) -> str:
        return f"{self.booking} {self.attachment}"
