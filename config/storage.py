"""Where uploads are kept: the file system (MIZAN_MEDIA_ROOT) or an S3-compatible bucket.

`MIZAN_STORAGE_URL` unset or empty: the file system, as before. Otherwise
`s3://BUCKET[/PREFIX]?endpoint_url=https://…&region=…&addressing_style=path`, with the keys
in MIZAN_S3_ACCESS_KEY / MIZAN_S3_SECRET_KEY (kept out of the URL, which is easily logged).
Empty keys: boto3's own chain (AWS_* variables, an instance role).

Citizens' documents are personal data (law 09-08): objects are never public (no ACL is
sent, so they take the bucket's own, private by default; `default_acl=private` sends it
explicitly), never overwritten (an existing name gets a suffix, as on the file system),
and any URL django-storages would make is signed and short-lived. Mizan itself never
hands out such a URL: documents are streamed through the staff views, which check the
permission and write the audit entry.
"""

from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ImproperlyConfigured

FILE_SYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"
ADDRESSING_STYLES = ("auto", "path", "virtual")
# Query parameters of MIZAN_STORAGE_URL, and the S3Storage option each one sets.
URL_PARAMETERS = {
    "endpoint_url": "endpoint_url",
    "region": "region_name",
    "addressing_style": "addressing_style",
    "default_acl": "default_acl",
}


def default_storage_from_url(
    url: str, *, access_key: str = "", secret_key: str = "", url_expiry_seconds: int = 300
) -> dict:
    """The STORAGES["default"] entry for MIZAN_STORAGE_URL."""
    url = (url or "").strip()
    if not url:
        return dict(FILE_SYSTEM)
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ImproperlyConfigured(
            f"MIZAN_STORAGE_URL must start with s3:// (or be empty for the file system), "
            f"not {parts.scheme}://"
        )
    if parts.username or parts.password:
        raise ImproperlyConfigured(
            "MIZAN_STORAGE_URL must not hold the keys: set MIZAN_S3_ACCESS_KEY and "
            "MIZAN_S3_SECRET_KEY."
        )
    bucket = parts.hostname or ""
    if not bucket:
        raise ImproperlyConfigured("MIZAN_STORAGE_URL names no bucket: s3://BUCKET[/PREFIX]")
    options: dict = {
        "bucket_name": bucket,
        "location": parts.path.strip("/"),
        # Never public: no ACL header unless asked (the bucket's own applies), signed
        # and short-lived URLs, no overwrite of an existing object.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": url_expiry_seconds,
        "file_overwrite": False,
        "custom_domain": None,
        # Signature version 4: what AWS and the S3-compatible services accept (version 2
        # is retired), for requests and signed URLs alike.
        "signature_version": "s3v4",
    }
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in URL_PARAMETERS:
            raise ImproperlyConfigured(
                f"MIZAN_STORAGE_URL: unknown parameter {key!r} (known: {', '.join(URL_PARAMETERS)})"
            )
        options[URL_PARAMETERS[key]] = value or None
    style = options.get("addressing_style")
    if style is not None and style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"MIZAN_STORAGE_URL: addressing_style must be one of {', '.join(ADDRESSING_STYLES)}"
        )
    if options.get("default_acl") not in (None, "private"):
        raise ImproperlyConfigured(
            "MIZAN_STORAGE_URL: default_acl may only be private (citizens' documents are "
            "never public)"
        )
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "Set both MIZAN_S3_ACCESS_KEY and MIZAN_S3_SECRET_KEY, or neither."
        )
    if access_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def uses_file_system(storage) -> bool:
    """Whether `storage` keeps its files under a local directory (MEDIA_ROOT)."""
    from django.core.files.storage import FileSystemStorage

    return isinstance(storage, FileSystemStorage)
