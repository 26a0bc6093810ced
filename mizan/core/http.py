def client_ip(request) -> str | None:
    """The caller's address as the web server saw it (the proxy sets REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None
