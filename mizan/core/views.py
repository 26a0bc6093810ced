from django.http import HttpResponse

FLOOR_PAGE = (
    "<!doctype html><html lang=fr><head><meta charset=utf-8><title>floor</title></head>"
    "<body><p>Mizan benchmark floor: a fixed page, no template, no database.</p></body></html>"
)


def bench_floor(request):
    return HttpResponse(FLOOR_PAGE)
