from django import forms
from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from mizan.core.errors import DomainError

from .models import Holiday, TargetDelay
from .services import holiday_check, holiday_delete, holiday_save


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "kind", "confirmed"]

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("date", self.instance.date)
        if day and cleaned.get("name") and cleaned.get("kind"):
            try:
                holiday_check(day=day, name=cleaned["name"], kind=cleaned["kind"])
            except DomainError as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, error.message)
        return cleaned


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Administrators enter each year's religious holidays here; saves and deletions go
    through the services, which check the entry and write the audit log."""

    form = HolidayForm
    list_display = ["date", "weekday", "name", "kind", "confirmed"]
    list_filter = ["kind", "confirmed"]
    date_hierarchy = "date"
    search_fields = ["name"]
    ordering = ["date"]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: Holiday) -> str:
        return date_format(obj.date, "l")

    def get_readonly_fields(self, request, obj=None):
        # One entry per date: to move a holiday, delete it and add the right date, so
        # the audit log shows both.
        return ["date"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = holiday_save(
            day=obj.date,
            name=obj.name,
            kind=obj.kind,
            confirmed=obj.confirmed,
            user=request.user,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        holiday_delete(holiday=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for holiday in queryset:
            holiday_delete(holiday=holiday, user=request.user)


class TargetDelayForm(forms.ModelForm):
    class Meta:
        model = TargetDelay
        fields = ["procedure", "state", "working_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Pick a state from the workflows, labelled, instead of typing its code.
        from mizan.procedures.registry import PROCEDURES

        self.fields["procedure"] = forms.ChoiceField(
            label=_("procedure"), choices=[(c, p.label) for c, p in PROCEDURES.items()]
        )
        self.fields["state"] = forms.ChoiceField(
            label=_("state"),
            choices=[
                (
                    str(p.label),
                    [
                        (state.name, f"{state.label} ({state.target_days or '—'})")
                        for state in p.workflow.states
                        if not state.terminal
                    ],
                )
                for p in PROCEDURES.values()
            ],
            help_text=_("The workflow's default target, in working days, is in brackets."),
        )

    def clean(self):
        cleaned = super().clean()
        from mizan.procedures.registry import PROCEDURES

        procedure, state = cleaned.get("procedure"), cleaned.get("state")
        if procedure and state:
            names = {s.name for s in PROCEDURES[procedure].workflow.states if not s.terminal}
            if state not in names:
                self.add_error("state", _("Choose a state of the chosen procedure."))
        return cleaned


@admin.register(TargetDelay)
class TargetDelayAdmin(admin.ModelAdmin):
    """Each procedure's target per state: cases entering the state from now on get the
    new due date; cases already in it keep theirs."""

    form = TargetDelayForm
    list_display = ["procedure", "state", "working_days", "default_days"]
    list_filter = ["procedure"]

    @admin.display(description=_("default (working days)"))
    def default_days(self, obj):
        from mizan.procedures.registry import PROCEDURES

        spec = PROCEDURES.get(obj.procedure)
        names = {s.name: s for s in spec.workflow.states} if spec else {}
        state = names.get(obj.state)
        return state.target_days if state else "—"

    def save_model(self, request, obj, form, change):
        from mizan.core.audit import audit_record

        super().save_model(request, obj, form, change)
        audit_record(
            action="target_delay.saved",
            object_type="target_delay",
            object_id=str(obj),
            actor=request.user,
            data={"working_days": obj.working_days},
        )

    def delete_model(self, request, obj):
        from mizan.core.audit import audit_record

        audit_record(
            action="target_delay.deleted",
            object_type="target_delay",
            object_id=str(obj),
            actor=request.user,
            data={"working_days": obj.working_days},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
