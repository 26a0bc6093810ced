from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce


def changed_at_from_steps(apps, schema_editor):
    """A file's last sealed step, or its sending for a file without one."""
    ExchangeFile = apps.get_model("exchange", "ExchangeFile")
    ExchangeEvent = apps.get_model("exchange", "ExchangeEvent")
    last_step = (
        ExchangeEvent.objects.filter(file=OuterRef("pk"))
        .values("file")
        .annotate(last=Max("at"))
        .values("last")
    )
    ExchangeFile.objects.update(changed_at=Coalesce(Subquery(last_step), "sent_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0002_exchangefile_case"),
    ]

    operations = [
        migrations.AddField(
            model_name="exchangefile",
            name="changed_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(changed_at_from_steps, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="exchangefile",
            name="changed_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="exchangefile",
            index=models.Index(
                fields=["office", "changed_at", "id"], name="exchange_office_changed"
            ),
        ),
    ]
