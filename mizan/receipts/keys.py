"""The Ed25519 keys that sign PDF receipts and the public keys that verify them.

The signing key is `MIZAN_RECEIPT_SIGNING_KEY`: the base64 of a 32-byte Ed25519 seed.
Without it, a key is derived from SECRET_KEY (HKDF), so that development and tests
need no configuration; `check --deploy` warns (mizan.W004) because rotating
SECRET_KEY would then turn every receipt already issued into one that fails
verification. `MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS` keeps receipts signed before a
rotation verifiable: the base64 of each retired 32-byte public key.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Changing this string changes the derived development key, hence every receipt's
# verifiability: it is part of the format.
_DERIVATION_INFO = b"mizan receipt signing key v1"


@dataclass(frozen=True)
class VerificationKey:
    key_id: str
    public_key: Ed25519PublicKey
    current: bool

    @property
    def raw_base64(self) -> str:
        return base64.b64encode(raw_public_bytes(self.public_key)).decode("ascii")

    @property
    def pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 8 bytes of the SHA-256 of the raw public key, in lowercase hex."""
    return hashlib.sha256(raw_public_bytes(public_key)).digest()[:8].hex()


def _decode_32(value: str, *, setting: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured(f"{setting} is not valid base64.") from error
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{setting} must be the base64 of exactly 32 bytes.")
    return raw


@lru_cache(maxsize=8)
def _signing_key(configured: str, secret_key: str) -> Ed25519PrivateKey:
    if configured:
        seed = _decode_32(configured, setting="MIZAN_RECEIPT_SIGNING_KEY")
    else:
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO).derive(
            secret_key.encode()
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


@lru_cache(maxsize=8)
def _previous_keys(values: tuple[str, ...]) -> tuple[Ed25519PublicKey, ...]:
    keys = []
    for value in values:
        if not value.strip():
            continue
        raw = _decode_32(value, setting="MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS")
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
        except ValueError as error:
            raise ImproperlyConfigured(
                "MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS holds a value that is not an Ed25519 "
                "public key."
            ) from error
    return tuple(keys)


def signing_key() -> Ed25519PrivateKey:
    # Cached on the settings' values, so that a changed setting (a test's
    # override_settings) takes effect at once.
    return _signing_key(settings.MIZAN_RECEIPT_SIGNING_KEY, settings.SECRET_KEY)


def verification_keys() -> dict[str, VerificationKey]:
    """Every key a genuine receipt may be signed with, by key id; the current one first."""
    current = signing_key().public_key()
    keys = {key_id(current): VerificationKey(key_id(current), current, current=True)}
    for public_key in _previous_keys(tuple(settings.MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS)):
        keys.setdefault(key_id(public_key), VerificationKey(key_id(public_key), public_key, False))
    return keys


def configuration_errors() -> list[str]:
    """What is wrong with the receipt key settings (for the system checks)."""
    problems = []
    try:
        signing_key()
    except ImproperlyConfigured as error:
        problems.append(str(error))
    try:
        _previous_keys(tuple(settings.MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS))
    except ImproperlyConfigured as error:
        problems.append(str(error))
    return problems
