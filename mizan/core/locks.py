from django.db import connection


def serialize_on(key: str) -> None:
    """Make concurrent transactions that name the same key run one after the other.

    Used where a rule counts rows and then inserts one (rate limits): without it, two
    requests arriving together would both see room for one more. On PostgreSQL this
    is a transaction-level advisory lock; SQLite already serialises writing
    transactions (they start IMMEDIATE, see settings). Call inside `atomic()`.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
