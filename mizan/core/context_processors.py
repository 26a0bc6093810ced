from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language_info


def site(request):
    """The development outbox switch and this page's address in each language."""
    path = request.get_full_path()
    return {
        "MIZAN_DEV_OUTBOX": settings.MIZAN_DEV_OUTBOX,
        "language_links": [
            (code, get_language_info(code)["name_local"], translate_url(path, code))
            for code, _name in settings.LANGUAGES
        ],
    }
