"""The API answers every refusal in its documented JSON body, including the ones Django
gives before any API code runs."""

from django.http import JsonResponse
from django.utils.translation import gettext as _


class ApiMethodNotAllowedMiddleware:
    """A method an address does not take (DELETE on a list, POST on reference data):
    Django's 405 is a bare text page; an app gets JSON with the allowed methods."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            refusal = JsonResponse(
                {
                    "code": "method_not_allowed",
                    "message": _("This address does not take %(method)s. Use: %(allowed)s.")
                    % {"method": request.method, "allowed": allowed},
                    "field": None,
                    "details": None,
                },
                status=405,
            )
            refusal["Allow"] = allowed
            return refusal
        return response
