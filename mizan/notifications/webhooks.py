"""Where providers call us: delivery receipts and citizens' texts.

The JSON aggregator signs each request: `X-Signature` is the hex HMAC-SHA256, with the
provider's `webhook_secret`, of "<X-Signature-Timestamp>." followed by the raw body. A
request older than `MIZAN_WEBHOOK_MAX_AGE_SECONDS` (or from the future) is refused, and
the same signed request is applied only once. Kannel cannot sign: its receipt URL
carries a secret `token` instead, and it only runs on the operator's private network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .routing import provider_config
from .services import inbound_sms_receive, notification_receipt

logger = logging.getLogger("mizan.sms")

# The aggregator's words for a message's fate, in ours.
JSON_STATUSES = {
    "delivered": "delivered",
    "failed": "permanent-failure",
    "rejected": "permanent-failure",
    "expired": "temporary-failure",
    "accepted": "sent",
}


def _refuse(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _verify_signed(request: HttpRequest, provider: str, kind: str) -> JsonResponse | str:
    """The signature if the request is authentic and fresh, else the refusal to send."""
    config = provider_config(provider)
    secret = (config.options.get("webhook_secret") if config else "") or ""
    if config is None or config.kind != kind or not secret:
        return _refuse(404, "unknown_provider", "No such provider.")
    timestamp = request.headers.get("X-Signature-Timestamp", "")
    signature = request.headers.get("X-Signature", "")
    try:
        age = time.time() - int(timestamp)
    except ValueError:
        return _refuse(403, "bad_signature", "Missing or malformed timestamp.")
    if abs(age) > settings.MIZAN_WEBHOOK_MAX_AGE_SECONDS:
        return _refuse(403, "stale", "Timestamp outside the accepted window.")
    expected = signature_for(secret, timestamp, request.body)
    if not hmac.compare_digest(expected, signature.lower()):
        return _refuse(403, "bad_signature", "Signature does not match.")
    return expected


def _json_body(request: HttpRequest) -> dict | None:
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _receipt_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@csrf_exempt
@require_POST
def json_receipt(request: HttpRequest, provider: str) -> JsonResponse:
    verified = _verify_signed(request, provider, "http-json")
    if isinstance(verified, JsonResponse):
        return verified
    payload = _json_body(request)
    if payload is None or not isinstance(payload.get("id"), str):
        return _refuse(400, "malformed", "Expected a JSON object with an id and a status.")
    status = JSON_STATUSES.get(str(payload.get("status")))
    if status is None:
        return _refuse(400, "unknown_status", "Unknown status.")
    outcome = notification_receipt(
        provider=provider,
        message_id=payload["id"],
        status=status,
        provider_status=str(payload.get("error_code") or payload.get("status"))[:60],
        at=_receipt_time(payload.get("at")),
        signature=verified,
    )
    return JsonResponse({"outcome": outcome})


@csrf_exempt
@require_POST
def json_inbound(request: HttpRequest, provider: str) -> JsonResponse:
    verified = _verify_signed(request, provider, "http-json")
    if isinstance(verified, JsonResponse):
        return verified
    payload = _json_body(request)
    if payload is None or not isinstance(payload.get("from"), str):
        return _refuse(400, "malformed", "Expected a JSON object with from and text.")
    inbound = inbound_sms_receive(
        provider=provider, sender=payload["from"], text=str(payload.get("text") or "")
    )
    return JsonResponse({"outcome": inbound.outcome})


def _kannel_token_ok(request: HttpRequest, provider: str) -> bool:
    config = provider_config(provider)
    token = (config.options.get("webhook_token") if config else "") or ""
    given = request.GET.get("token", "")
    return bool(config and config.kind == "kannel" and token) and hmac.compare_digest(token, given)


@csrf_exempt
@require_GET
def kannel_receipt(request: HttpRequest, provider: str) -> JsonResponse:
    from .http_gateways import kannel_dlr_status

    if not _kannel_token_ok(request, provider):
        return _refuse(403, "bad_token", "Unknown provider or token.")
    reference = request.GET.get("ref", "")
    try:
        dlr_type = int(request.GET.get("type", ""))
    except ValueError:
        return _refuse(400, "malformed", "Expected ref and type.")
    status = kannel_dlr_status(dlr_type)
    if not reference:
        return _refuse(400, "malformed", "Expected ref and type.")
    if status is None:
        return JsonResponse({"outcome": "ignored"})
    outcome = notification_receipt(
        provider=provider,
        message_id=reference,
        status=status,
        provider_status=f"dlr {dlr_type} {request.GET.get('answer', '')}"[:60],
    )
    return JsonResponse({"outcome": outcome})


@csrf_exempt
@require_GET
def kannel_inbound(request: HttpRequest, provider: str) -> JsonResponse:
    if not _kannel_token_ok(request, provider):
        return _refuse(403, "bad_token", "Unknown provider or token.")
    sender = request.GET.get("from", "")
    if not sender:
        return _refuse(400, "malformed", "Expected from and text.")
    inbound = inbound_sms_receive(
        provider=provider, sender=sender, text=request.GET.get("text", "")
    )
    return JsonResponse({"outcome": inbound.outcome})
