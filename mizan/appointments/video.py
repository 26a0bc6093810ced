"""Jitsi Meet rooms protected by a JWT (the token-auth of Jitsi's Prosody module).

The token names one room and is valid from 10 minutes before the slot to 30 minutes
after it; only the official's token is a moderator's, and moderators pass the lobby.
Without MIZAN_JITSI_DOMAIN / APP_ID / SECRET there is no video: pages say so and the
official calls the citizen's phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.conf import settings
from django.utils import timezone

from mizan.core.errors import DomainError

from .models import Booking

OPENS_BEFORE = timedelta(minutes=10)
CLOSES_AFTER = timedelta(minutes=30)
AUDIENCE = "jitsi"
ALGORITHM = "HS256"


def jitsi_configured() -> bool:
    return bool(
        settings.MIZAN_JITSI_DOMAIN and settings.MIZAN_JITSI_APP_ID and settings.MIZAN_JITSI_SECRET
    )


def room_opens_at(booking: Booking) -> datetime:
    return booking.starts_at - OPENS_BEFORE


def room_closes_at(booking: Booking) -> datetime:
    return booking.ends_at + CLOSES_AFTER


@dataclass(frozen=True)
class RoomState:
    configured: bool
    opens_at: datetime
    closes_at: datetime
    now: datetime

    @property
    def is_open(self) -> bool:
        return self.opens_at <= self.now < self.closes_at

    @property
    def not_yet(self) -> bool:
        return self.now < self.opens_at

    @property
    def over(self) -> bool:
        return self.now >= self.closes_at


def room_state(booking: Booking) -> RoomState:
    return RoomState(
        configured=jitsi_configured(),
        opens_at=room_opens_at(booking),
        closes_at=room_closes_at(booking),
        now=timezone.now(),
    )


def jitsi_token(*, booking: Booking, user_name: str, moderator: bool) -> str:
    if not jitsi_configured():
        raise DomainError("Jitsi is not configured", code="video_not_configured")
    claims = {
        "aud": AUDIENCE,
        "iss": settings.MIZAN_JITSI_APP_ID,
        "sub": settings.MIZAN_JITSI_DOMAIN,
        "room": booking.room,
        "nbf": int(room_opens_at(booking).timestamp()),
        "exp": int(room_closes_at(booking).timestamp()),
        "moderator": moderator,
        "context": {
            # "affiliation" is what Jitsi's token_affiliation module reads; "moderator"
            # what older deployments read.
            "user": {
                "name": user_name,
                "moderator": moderator,
                "affiliation": "owner" if moderator else "member",
            }
        },
    }
    return jwt.encode(claims, settings.MIZAN_JITSI_SECRET, algorithm=ALGORITHM)


def jitsi_token_check(*, token: str, room: str) -> dict:
    """What a Jitsi server checks: signature, audience, issuer, validity, room."""
    try:
        claims = jwt.decode(
            token,
            settings.MIZAN_JITSI_SECRET,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.MIZAN_JITSI_APP_ID,
            options={"require": ["exp", "nbf", "room"]},
        )
    except jwt.PyJWTError as error:
        raise DomainError(str(error), code="token_invalid") from error
    if claims.get("room") != room:
        raise DomainError("token for another room", code="token_room")
    return claims


def join_url(*, booking: Booking, user_name: str, moderator: bool) -> str:
    token = jitsi_token(booking=booking, user_name=user_name, moderator=moderator)
    return f"https://{settings.MIZAN_JITSI_DOMAIN}/{booking.room}?jwt={token}"
