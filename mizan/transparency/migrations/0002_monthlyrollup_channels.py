"""Requests received per channel in the monthly rollups.

Existing rollups are left with NULL (not `{}`, which would claim no request came
through any channel): `transparency_refresh` recomputes every month from the first
rollup without channels, so the next nightly run fills them in.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transparency", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="monthlyrollup",
            name="channels",
            field=models.JSONField(null=True),
        ),
        migrations.AlterField(
            model_name="monthlyrollup",
            name="channels",
            field=models.JSONField(default=dict, null=True),
        ),
    ]
