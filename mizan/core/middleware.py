from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """A NUL byte has no place in a path, a query or a form value, and PostgreSQL
    refuses it in text: refuse the request up front (400, the friendly page) rather
    than let it reach a query and fail there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for data in (request.GET, request.POST)
            for key, values in data.lists()
        ):
            if request.path.startswith("/api/"):
                # The API answers in its own documented error body (docs/api.md).
                return JsonResponse(
                    {
                        "code": "bad_request",
                        "message": _("The request contains a character that is not allowed."),
                        "field": None,
                        "details": None,
                    },
                    status=400,
                )
            raise SuspiciousOperation("NUL byte in the request")
        return self.get_response(request)
