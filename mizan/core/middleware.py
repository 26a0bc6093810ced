from django.core.exceptions import SuspiciousOperation


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
            raise SuspiciousOperation("NUL byte in the request")
        return self.get_response(request)
