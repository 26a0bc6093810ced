"""What the API takes and gives, as typed schemas (they make the OpenAPI document)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

# --- errors ---------------------------------------------------------------------------


class FieldError(Schema):
    field: str | None = Field(None, description="The field refused (None: the whole form).")
    code: str = Field(description="Stable machine code, e.g. `required`, `min_length`.")
    message: str = Field(description="What to fix, in the request's language.")


class ErrorDetails(Schema):
    fields: list[FieldError] | None = Field(None, description="Every field's refusals (422).")
    retry_after: int | None = Field(None, description="Seconds to wait (429).")
    alternatives: list[dict] | None = Field(
        None,
        description="Other free slots, shaped as the slots list gives them (409 slot_taken).",
    )


class Error(Schema):
    code: str = Field(description="Stable machine code; see docs/api.md for the list.")
    message: str = Field(description="For the person, in the language of Accept-Language.")
    field: str | None = Field(None, description="The input the refusal is about, if one.")
    details: ErrorDetails | None = None


# --- authentication -------------------------------------------------------------------


class PhoneIn(Schema):
    phone: str = Field(description="Mobile number, Moroccan (06…) or with its country code.")


class CodeSent(Schema):
    phone: str = Field(description="The number the code was sent to (E.164).")
    expires_in: int = Field(description="Seconds the code stays valid.")


class TokenIn(Schema):
    phone: str
    code: str = Field(description="The six digits received by SMS.")


class RefreshIn(Schema):
    refresh_token: str


class RevokeIn(Schema):
    token: str = Field(description="An access or refresh token of the sign-in to end.")


class TokenPairOut(Schema):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds the access token stays valid.")
    refresh_token: str = Field(description="Works once; store the new one each time.")
    refresh_expires_in: int
    phone: str


# --- procedures -----------------------------------------------------------------------


class Choice(Schema):
    value: str
    label: str


class FormField(Schema):
    name: str
    type: str = Field(
        description="string, email, phone, date (YYYY-MM-DD), decimal, integer, boolean, "
        "choice, multiple_choice, reference, multiple_reference."
    )
    widget: str = Field(description="How the web page shows it: text, textarea, select…")
    required: bool = Field(description="For a boolean: it must be true (a box to tick).")
    label: str
    help: str = ""
    max_length: int | None = None
    min_length: int | None = None
    min_value: str | None = None
    max_value: str | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    initial: str | bool | int | None = None
    choices: list[Choice] | None = Field(None, description="For choice fields, inline.")
    choices_url: str | None = Field(
        None, description="For reference fields: GET it (with `depends_on` as a parameter)."
    )
    depends_on: str | None = Field(
        None, description="The field whose value narrows the choices (the commune's province)."
    )


class Section(Schema):
    legend: str
    fields: list[str]


class Documents(Schema):
    field: str = Field(description="Where the ids of uploaded documents go in a filing.")
    hint: str
    help: str
    required: bool
    max_files: int
    max_bytes: int
    accepted_types: list[str]


class ProcedureOut(Schema):
    code: str
    label: str
    title: str
    description: str
    fields: list[FormField] = Field(description="In the web form's order.")
    sections: list[Section] = Field(
        description="How the web page groups the fields; fields in no section come last."
    )
    documents: Documents


class ChoiceList(Schema):
    items: list[Choice]


# --- requests -------------------------------------------------------------------------

FieldValue = str | bool | int | float | list[str] | None


class FilingIn(Schema):
    procedure: str = Field(description="A procedure code from GET /procedures.")
    fields: dict[str, FieldValue] = Field(
        default_factory=dict,
        description="The form's fields by name. `phone` defaults to the signed-in phone "
        "and must be it.",
    )
    attachment_ids: list[int] = Field(default_factory=list, description="From POST /uploads.")


class FilingOut(Schema):
    reference: str
    access_code: str = Field(
        description="Shown once: with the reference, it opens the request on the website."
    )
    procedure: str
    status: str
    status_label: str
    submitted_at: datetime


class DecisionRow(Schema):
    label: str
    value: str


class CitizenStep(Schema):
    name: str
    label: str
    message_required: bool
    uploads: bool = Field(description="Takes `attachment_ids`.")
    uploads_required: bool
    confirm_required: bool = Field(description='Needs `"confirm": true` (withdrawal).')
    fields: list[FormField]


class RequestSummary(Schema):
    reference: str
    procedure: str
    procedure_label: str
    status: str
    status_label: str
    submitted_at: datetime
    closed: bool
    is_filer: bool = Field(description="False when someone else filed it naming this phone.")
    awaiting_you: bool = Field(description="The office waits for something from you.")


class RequestPage(Schema):
    items: list[RequestSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class CitizenExchangeStep(Schema):
    on: date = Field(description="The day (never the hour of a visit).")
    label: str
    amount: str | None = Field(
        None, description="An amount recovered, in dirhams (decimal string)."
    )


class CitizenExchangeFile(Schema):
    """A file a court registry sent to a commissaire de justice about this request, as
    the tracking page shows it: never the addressee, places, notes, reasons or
    documents."""

    reference: str
    kind: str = Field(description="`service` or `enforcement`.")
    kind_label: str
    status_label: str = Field(description="Its status, in the citizen's words.")
    explanation: str
    closed: bool
    court: str = Field(description="The sending court registry.")
    office_name: str = Field(description="The commissaire de justice's office.")
    office_phone: str
    office_email: str
    sent_at: datetime
    deadline: date | None = Field(description="To be served by (service files).")
    judgment_reference: str = Field(description="The judgment enforced (enforcement files).")
    amount_due: str | None = Field(description="Dirhams, enforcement files.")
    amount_recovered: str | None = Field(description="Dirhams so far, enforcement files.")
    steps: list[CitizenExchangeStep]


class RequestOut(RequestSummary):
    explanation: str
    office: str
    registry_number: str
    closed_at: datetime | None
    decision: list[DecisionRow]
    steps: list[CitizenStep] = Field(description="What you can do now (empty: nothing).")
    exchange_files: list[CitizenExchangeFile] = Field(
        default_factory=list,
        description="Service and enforcement of this request by a commissaire de justice, "
        "oldest first.",
    )


class TimelineEntry(Schema):
    at: datetime
    status: str
    label: str
    message: str = Field(description="The office's message to you, if any.")


class Timeline(Schema):
    items: list[TimelineEntry]


class StepIn(Schema):
    message: str = ""
    attachment_ids: list[int] = Field(default_factory=list)
    confirm: bool = False
    expected_status: str | None = Field(
        None, description="The status you saw; refused with 409 if it changed since."
    )


# --- uploads and receipts -------------------------------------------------------------


class UploadOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class VerificationOut(Schema):
    genuine: bool
    reason: str = Field(
        description="genuine, not_a_receipt, malformed, unknown_key, altered, "
        "other_reference, too_large."
    )
    message: str
    reference: str
    procedure: str
    procedure_label: str
    filed_at: datetime | None
    issued_at: datetime | None
    language: str
    key_id: str


# --- notifications --------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    reference: str
    created_at: datetime
    status: str
    body: str


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None = None


# --- reference data -------------------------------------------------------------------


class RegionOut(Schema):
    code: str
    name: str
    name_ar: str
    name_fr: str


class ProvinceOut(RegionOut):
    region: str
    kind: str


class CommuneOut(RegionOut):
    province: str
    kind: str


class CourtOut(Schema):
    id: str
    name: str
    name_ar: str
    name_fr: str
    kind: str
    kind_label: str
    parent: str | None
    seat_province: str | None
    status: str


class PrisonOut(Schema):
    id: str
    name: str
    name_ar: str
    name_fr: str
    kind: str
    city: str
    province: str | None
    status: str


# --- appointments ---------------------------------------------------------------------


class AppointmentCampaign(Schema):
    starts_on: date = Field(description="First day booking covers (Morocco's date).")
    ends_on: date = Field(description="Last day, included.")


class AppointmentInstitution(Schema):
    code: str
    name: str = Field(description="In the language of Accept-Language.")
    booking_open: bool = Field(description="At least one of its services can be booked now.")


class AppointmentServiceOut(Schema):
    code: str
    title: str = Field(description="In the language of Accept-Language.")
    title_ar: str
    title_fr: str
    title_en: str
    duration_minutes: int
    institution: AppointmentInstitution
    booking_open: bool = Field(
        description="A booking campaign covers today: slots can be booked. When false, "
        "`campaigns` says when booking opens again (if it is known)."
    )
    campaigns: list[AppointmentCampaign] = Field(
        description="The current and coming booking periods, soonest first."
    )


class WallTime(Schema):
    """An instant as a clock shows it in one time zone."""

    time_zone: str = Field(description="IANA name, e.g. Africa/Casablanca.")
    date: date
    time: str = Field(description="24-hour wall-clock time, HH:MM.")
    utc_offset: str = Field(description="e.g. +01:00 (Morocco is +00:00 during Ramadan).")
    iso: str = Field(description="ISO 8601 with the zone's offset.")


class AppointmentSlot(Schema):
    starts_at: datetime = Field(description="The instant, in UTC: send it to book.")
    ends_at: datetime
    morocco: WallTime = Field(description="Morocco's legal time (Africa/Casablanca).")
    local: WallTime = Field(description="The time in the zone asked for with `tz`.")


class AppointmentSlotList(Schema):
    service: str
    booking_open: bool
    time_zone: str = Field(description="The zone of each slot's `local`.")
    items: list[AppointmentSlot] = Field(description="Free slots, earliest first.")


class BookingIn(Schema):
    service: str = Field(description="A service code from GET /appointments/services.")
    starts_at: datetime = Field(
        description="A free slot's `starts_at` (any offset is read as the same instant)."
    )
    subject: str = Field(description="What the appointment is about, a few lines.")
    country_of_residence: str = Field(description="ISO 3166 alpha-2 code, e.g. CA.")
    time_zone: str | None = Field(
        None,
        description="IANA name for the confirmation and reminders; by default the country's "
        "usual zone.",
    )
    name: str = Field(description="The citizen's full name.")
    email: str | None = Field(None, description="Optional: a confirmation e-mail too.")
    case_reference: str | None = Field(
        None, description="Optional: a request filed with this phone the appointment is about."
    )
    phone_call_fallback: bool = Field(True, description="Call the phone if the video fails.")
    language: str | None = Field(
        None,
        pattern="^(ar|fr|en)$",
        description="ar, fr or en: the language of the SMS; by default Accept-Language.",
    )
    consent: bool = Field(
        description="Must be true: agreement to the use of these details (law 09-08)."
    )


class RescheduleIn(Schema):
    starts_at: datetime = Field(description="A free slot's `starts_at` of the same service.")


class BookingService(Schema):
    code: str
    title: str = Field(description="In the language of Accept-Language.")
    duration_minutes: int
    institution: str
    institution_name: str


class BookingOut(Schema):
    reference: str
    status: str = Field(description="active, cancelled, held, no_show.")
    status_label: str
    changeable: bool = Field(description="Active and not started: it can be moved or cancelled.")
    service: BookingService
    starts_at: datetime = Field(description="UTC.")
    ends_at: datetime
    morocco: WallTime
    local: WallTime = Field(description="In the booking's `time_zone`.")
    time_zone: str
    country_of_residence: str
    language: str
    name: str
    email: str
    subject: str
    case_reference: str | None
    phone_call_fallback: bool
    created_at: datetime
    join_url: str = Field(description="The citizen's video page (personal: do not share).")
    video_opens_at: datetime = Field(description="When the video room opens (UTC).")
    calendar_url: str = Field(description="The .ics file (signed in).")


class BookingPage(Schema):
    items: list[BookingOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


# --- partners: commissaires' offices ------------------------------------------------------

ExchangeStatus = Literal[
    "sent", "acknowledged", "report_uploaded", "completed", "failed", "withdrawn"
]
AttemptResult = Literal["in_person", "relative", "refused", "address_unknown", "absent"]


class PartnerOffice(Schema):
    registration_number: str
    name: str


class PartnerKeyOut(Schema):
    key: str = Field(description="How the key begins (`mzp_` and its prefix): never the secret.")
    name: str
    office: PartnerOffice
    acts_for: str = Field(description="The office member in whose name the key acts.")
    scopes: list[str]
    expires_at: datetime | None


class PartnerNamed(Schema):
    code: str
    name: str


class PartnerFileSummary(Schema):
    reference: str
    kind: str = Field(description="`service` or `enforcement`.")
    kind_label: str
    status: ExchangeStatus
    status_label: str
    overdue: bool = Field(description="The deadline has passed and the file is still open.")
    subject: str = Field(description="What is to be served, or the judgment to enforce.")
    addressee_name: str
    commune: PartnerNamed
    court_unit: PartnerNamed = Field(description="The sending court registry.")
    deadline: date | None
    sent_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None
    changed_at: datetime = Field(
        description="When the file's last step was recorded (status, documents, attempts, "
        "amounts): what `changed_since` compares."
    )


class PartnerFilePage(Schema):
    items: list[PartnerFileSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class PartnerStep(Schema):
    name: str = Field(
        description="acknowledge, record_attempt, record_recovery, upload_report, complete, fail."
    )
    label: str


class PartnerDocument(Schema):
    id: int
    role: str = Field(description="`sent` (by the court) or `report` (the office's).")
    role_label: str
    name: str
    content_type: str
    size: int
    sha256: str
    scan_status: str = Field(description="The virus scan: clean, not_scanned, failed…")
    download_url: str


class PartnerAttempt(Schema):
    attempted_at: datetime
    place: str
    result: AttemptResult
    result_label: str
    note: str


class PartnerRecovery(Schema):
    amount: str = Field(description="In dirhams, as a decimal string (`1500.00`).")
    recovered_on: date
    note: str


class PartnerVia(Schema):
    api_key: str = Field(description="The key's prefix (`mzp_…`).")
    name: str


class PartnerEvent(Schema):
    step: str = Field(description="`send` (by the court), or a step name.")
    label: str
    from_status: str
    to_status: str
    side: str = Field(description="`court` or `office`.")
    at: datetime
    author: str
    via: PartnerVia | None = Field(None, description="The API key the step was taken with.")
    reason: str
    documents: list[int] = Field(description="The ids of the documents the step brought.")
    seal_hash: str = Field(description="The step's entry in the hash-chained audit log.")


class PartnerFileOut(PartnerFileSummary):
    assignment: str = Field(description="`named` by the litigant, or by `rotation`.")
    addressee_address: str
    judgment_reference: str
    parties: str
    amount_due: str | None = Field(description="In dirhams, as a decimal string.")
    amount_recovered: str = Field(description="The sum of `recoveries`, in dirhams.")
    failure_reason: str
    steps: list[PartnerStep] = Field(description="The steps the office can take now.")
    documents: list[PartnerDocument]
    attempts: list[PartnerAttempt]
    recoveries: list[PartnerRecovery]
    history: list[PartnerEvent] = Field(description="Every step, oldest first, with its seal.")


class PartnerStepIn(Schema):
    expected_status: ExchangeStatus | None = Field(
        None, description="The status you saw; refused with 409 `conflict` if it changed since."
    )


class PartnerAttemptIn(PartnerStepIn):
    attempted_at: datetime = Field(
        description="With its offset (`2027-02-05T10:20:00+01:00`), between the sending and now."
    )
    place: str = Field(max_length=300)
    result: AttemptResult
    note: str = ""


class PartnerRecoveryIn(PartnerStepIn):
    amount: Decimal = Field(
        description="In dirhams, more than 0 (a string such as `1500.00`, or a number)."
    )
    recovered_on: date = Field(description="Today or earlier.")
    note: str = ""


class PartnerFailIn(PartnerStepIn):
    reason: str = Field(description="Why the service or the enforcement failed.")
