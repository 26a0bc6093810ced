from django.core.management.base import BaseCommand

from mizan.backoffice.digest import overdue_digest_send


class Command(BaseCommand):
    help = "E-mail each unit head the overdue cases of their unit (run daily, e.g. at 07:30)."

    def add_arguments(self, parser):
        parser.add_argument("--language", help="Language of the e-mails (default: LANGUAGE_CODE)")

    def handle(self, *args, language=None, **options):
        sent = overdue_digest_send(language=language)
        self.stdout.write(f"{sent} digest(s) sent")
