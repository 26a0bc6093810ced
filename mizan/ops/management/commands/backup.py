from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mizan.ops.backups import (
    EXTERNAL_MEDIA_NOTE,
    BackupError,
    backup_create,
    media_on_file_system,
)


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded files (file-system storage only) into a new "
        "directory under DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="Where backups are kept.")

    def handle(self, *args, directory: Path, **options):
        try:
            target = backup_create(to=directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written: {target}"))
        if not media_on_file_system():
            self.stdout.write(self.style.WARNING(EXTERNAL_MEDIA_NOTE))
