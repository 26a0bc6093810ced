from django.core.management.base import BaseCommand, CommandError

from mizan.exchange.models import ExchangeFile
from mizan.exchange.services import exchange_seals_verify


class Command(BaseCommand):
    help = (
        "Check that every exchange file's steps and stored documents still match their "
        "seals in the audit log (run verify_audit for the chain itself); exits non-zero "
        "if one does not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reference", help="Check this file only.")

    def handle(self, *args, **options):
        files = ExchangeFile.objects.order_by("id")
        if options["reference"]:
            files = files.filter(reference=options["reference"].strip().upper())
        problems, checked = [], 0
        for file in files.iterator(chunk_size=200):
            problems += [
                f"{file.reference}: {problem}" for problem in exchange_seals_verify(file=file)
            ]
            checked += 1
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} seal(s) broken in {checked} file(s) checked.")
        self.stdout.write(self.style.SUCCESS(f"Exchange seals intact: {checked} file(s)."))
