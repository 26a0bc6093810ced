"""One JSON object per log line (MIZAN_LOG_FORMAT=json), for a log collector.

Imported by the logging configuration (Django's and gunicorn's): standard library only.
"""

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from .request_id import current_request_id

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # default=str: an extra that JSON cannot hold (Django's `request`) is shown as text
        # rather than losing the line.
        return json.dumps(self.fields(record), default=str, ensure_ascii=False)

    def fields(self, record: logging.LogRecord) -> dict:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id() or "-",
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return entry


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access lines (config/gunicorn_conf.py): the request's fields from
    gunicorn's atoms. The query string is left out: webhook tokens travel in it."""

    def fields(self, record: logging.LogRecord) -> dict:
        entry = super().fields(record)
        atoms = record.args
        if isinstance(atoms, Mapping):
            # gunicorn logs after the response left Django: the id is in its header.
            entry["request_id"] = atoms.get("{x-request-id}o") or "-"
            entry["http"] = {
                "method": atoms.get("m"),
                "path": atoms.get("U"),
                "status": int(atoms["s"]) if str(atoms.get("s", "")).isdigit() else None,
                "bytes": atoms.get("B"),
                "duration_ms": atoms.get("M"),
                "remote_addr": atoms.get("h"),
                "forwarded_for": atoms.get("{x-forwarded-for}i"),
                "user_agent": atoms.get("a"),
            }
        return entry
