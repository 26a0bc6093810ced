from django.core.management.base import BaseCommand, CommandError

from mizan.core.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exits non-zero if an entry was altered."

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at entry {result.broken_at}: {result.reason} "
                f"({result.checked} entries verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} entries."))
