"""The request id: taken from the proxy's X-Request-ID or made here, carried in a
context variable so that every log line of the request, and of the tasks it enqueued,
names it.

Imported by the logging configuration, before the apps are loaded: standard library only.
"""

import contextlib
import logging
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar, Token

HEADER = "X-Request-ID"
# Anything else a client sends (a log-injection attempt, a huge value) is replaced.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_request_id: ContextVar[str | None] = ContextVar("mizan_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None) -> Token:
    return _request_id.set(request_id)


def reset_request_id(token: Token) -> None:
    _request_id.reset(token)


@contextlib.contextmanager
def request_id_scope(request_id: str | None) -> Iterator[None]:
    token = set_request_id(request_id)
    try:
        yield
    finally:
        reset_request_id(token)


def request_id_from(header_value: str | None) -> str:
    if header_value and SAFE_REQUEST_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the stack, so that every response (redirects and errors included) and
    every log line of the request carry the id.

    The id stays set after the middleware returns: Django logs a 4xx/5xx response
    ("Not Found: ...") after the middleware chain, and that line needs it too. It is
    cleared when the response is closed (`clear_request_id` on `request_finished`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        set_request_id(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def clear_request_id(**kwargs) -> None:
    _request_id.set(None)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True
