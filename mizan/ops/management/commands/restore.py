from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mizan.core.audit import audit_verify
from mizan.ops.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Replace the database and the uploaded files with a backup's, then check the "
        "audit log's hash chain. Stop the app servers and workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="A directory written by `backup`.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask: the current data is replaced."
        )

    def handle(self, *args, backup: Path, yes: bool = False, **options):
        if not yes and input("Replace the current data with this backup? [y/N] ") != "y":
            raise CommandError("Nothing restored.")
        try:
            manifest = backup_restore(source=backup)
        except BackupError as error:
            raise CommandError(str(error)) from error
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Restored, but the audit chain is broken at entry {result.broken_at}: "
                f"{result.reason}."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']}; audit chain intact: "
                f"{result.checked} entries."
            )
        )
        if "media.tar.gz" not in manifest["files"]:
            self.stdout.write(
                self.style.WARNING(
                    "The uploaded files were not restored: they are on S3-compatible "
                    f"storage ({manifest.get('media_storage', '?')}), left as they are."
                )
            )
