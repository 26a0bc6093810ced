"""On PostgreSQL, the database itself refuses two active bookings of one official whose
times overlap, whatever their durations: the unique constraint on (official, start)
only catches equal starts. SQLite has no exclusion constraints; there the slot check,
made in the booking's transaction (SQLite writes one at a time), is what holds."""

from django.db import migrations

CREATE = [
    # A trusted extension since PostgreSQL 13: the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE appointments_booking ADD CONSTRAINT appointment_official_no_overlap"
    " EXCLUDE USING gist (official_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)"
    " WHERE (status = 'active')",
]
DROP = [
    "ALTER TABLE appointments_booking DROP CONSTRAINT IF EXISTS appointment_official_no_overlap"
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("appointments", "0002_documents_and_retention")]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
