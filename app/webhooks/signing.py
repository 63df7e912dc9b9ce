"""Standard Webhooks secrets and signatures (https://www.standardwebhooks.com)."""

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's prefix, not a secret)
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
# The same rule for the schema: base64 of 24 to 64 bytes (8 to 21 groups of 4 characters).
_B64 = "[A-Za-z0-9+/]"
SECRET_PATTERN = (
    rf"^whsec_(({_B64}{{4}}){{8,20}}({_B64}{{4}}|{_B64}{{2}}==|{_B64}{{3}}=)?"
    rf"|({_B64}{{4}}){{21}}{_B64}{{2}}==)$"
)


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def check_secret(secret: str) -> str:
    """A secret a receiver's Standard Webhooks library will accept, or ValueError."""
    try:
        size = len(_key(secret)) if secret.startswith(SECRET_PREFIX) else 0
    except (binascii.Error, ValueError):
        size = 0
    if not MIN_SECRET_BYTES <= size <= MAX_SECRET_BYTES:
        raise ValueError(
            f"must be {SECRET_PREFIX} followed by base64 of "
            f"{MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} random bytes"
        )
    return secret


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
