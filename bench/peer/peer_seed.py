"""Seed django-helpdesk like Mizan's benchmark data and write the peer's request lists.

Run inside the peer's environment: `python peer_seed.py FOLDER TICKETS CSRF`.
Each ticket gets follow-ups as a complaint gets events (about five), so the public
status page shows a comparable timeline.
"""

import os
import random
import sys
from urllib.parse import urlencode

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
django.setup()

from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402


def main() -> None:
    folder, count, csrf = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(7)
    queue, _created = Queue.objects.get_or_create(
        slug="plaintes", defaults={"title": "Plaintes", "allow_public_submission": True}
    )
    batch = 2000
    made = 0
    while made < count:
        size = min(batch, count - made)
        tickets = Ticket.objects.bulk_create(
            [
                Ticket(
                    title="Vol de téléphone",
                    queue=queue,
                    submitter_email=f"c{made + i}@ex.ma",
                    description="Mon téléphone a été volé à la gare routière samedi soir.",
                    priority=3,
                    secret_key=f"{rng.getrandbits(64):016x}"[:36],
                )
                for i in range(size)
            ]
        )
        FollowUp.objects.bulk_create(
            [
                FollowUp(
                    ticket=ticket, title="Mise à jour", comment="Votre plainte avance.", public=True
                )
                for ticket in tickets
                for _ in range(rng.randint(1, 8))
            ]
        )
        made += size
    tickets = list(Ticket.objects.order_by("?")[:2000])
    with open(os.path.join(folder, "peer_status.tsv"), "w") as handle:
        for ticket in tickets:
            query = urlencode(
                {
                    "ticket": ticket.ticket_for_url,
                    "email": ticket.submitter_email,
                    "key": ticket.secret_key,
                }
            )
            handle.write(f"/view/?{query}\t\t\n")
    with open(os.path.join(folder, "peer_submit.tsv"), "w") as handle:
        for i in range(20000):
            body = urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "queue": queue.pk,
                    "title": "Escroquerie",
                    "body": "J'ai versé un acompte pour un appartement jamais livré. " * 3,
                    "submitter_email": f"s{i}@ex.ma",
                    "priority": 3,
                }
            )
            handle.write(f"/tickets/submit/\tcsrftoken={csrf}\t{body}\n")
    print(f"peer: {Ticket.objects.count()} tickets")


if __name__ == "__main__":
    main()
