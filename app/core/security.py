"""Password hashing, the signing key, signed links and JWT access tokens (HS256 only)."""

import base64
import hashlib
import hmac
import math
import os
import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings
from app.core.types import utcnow

ALGORITHM = "HS256"
MIN_SECRET_KEY_LENGTH = 32
REQUIRED_CLAIMS = ("sub", "exp", "iat", "iss", "aud", "jti")
SERVICE_TOKEN_PREFIX = "rqt_"  # noqa: S105  (marks our tokens; not secret)
# Ours are about 250 characters, service tokens 47, identity providers' JWTs a few
# thousand at most: anything longer is refused before it is parsed.
MAX_BEARER_TOKEN_LENGTH = 8 * 1024
MAX_SUBJECT_LENGTH = 64
VERIFIED_TOKENS_KEPT = 4096

password_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = password_hasher.hash(secrets.token_urlsafe(16))


class InsecureSettings(Exception):
    """The configuration would run without a safe signing key."""


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        password_hasher.verify(password, _DUMMY_HASH)
        return False
    return password_hasher.verify(password, password_hash)


def link_signature(settings: Settings, message: str) -> str:
    """HMAC-SHA256 of `message` under the server's key, fit for a URL: only this server
    makes one. Each kind of link signs its own prefix ("portal:..."), so a signature
    made for one kind opens nothing of another."""
    digest = hmac.new(
        resolve_secret_key(settings).encode(), message.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_link_signature(settings: Settings, message: str, given: str) -> bool:
    """Whether `given` is this server's signature of `message`, in constant time. As
    bytes: compare_digest refuses str with anything but ASCII, and a URL may hold any."""
    return hmac.compare_digest(given.encode(), link_signature(settings, message).encode())


def resolve_secret_key(settings: Settings) -> str:
    """The configured key; in development a generated one kept in data_dir (mode 0600).

    Outside development a missing or weak key refuses to start.
    """
    development = settings.environment == "development"
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key) < MIN_SECRET_KEY_LENGTH and not development:
            raise InsecureSettings(
                f"REQTRACK_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters."
            )
        return key
    if not development:
        raise InsecureSettings(f"REQTRACK_SECRET_KEY must be set ({settings.environment}).")
    return _generated_key(settings.data_dir / "secret_key")


def _generated_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created 0600 from the start: never readable by others, not even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key


Verified = TypeVar("Verified")


class VerifiedToken(NamedTuple):
    """What the API reads of a token whose signature and claims were checked."""

    subject: str
    expires: float
    issued_at: float
    # SHA-256 of the token, hex: how a signed-out token is found (revoked_token).
    digest: str


class VerifiedTokens(Generic[Verified]):
    """The most recently used verified tokens, by the SHA-256 of the token: each entry is
    a digest and a few short claims, so the cache is bounded in bytes by its size."""

    def __init__(self, size: int = VERIFIED_TOKENS_KEPT) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, Verified] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes) -> Verified | None:
        entry = self._entries.get(digest)
        if entry is not None:
            self._entries.move_to_end(digest)
        return entry

    def put(self, digest: bytes, verified: Verified) -> None:
        self._entries[digest] = verified
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


@dataclass(frozen=True)
class TokenIssuer:
    """Issues and checks the API's access tokens."""

    key: str
    issuer: str
    audience: str
    ttl: timedelta
    _verified: VerifiedTokens[VerifiedToken] = field(
        default_factory=VerifiedTokens, compare=False, repr=False
    )

    def issue(self, subject: str, *, not_before: datetime | None = None) -> str:
        """A token for `subject`; with `not_before` (a revocation just made), one issued
        no earlier than it, so the revocation never refuses it."""
        now = utcnow()
        issued_at = math.floor(now.timestamp() * 1000) / 1000
        if not_before is not None:
            issued_at = max(issued_at, math.ceil(not_before.timestamp() * 1000) / 1000)
        claims = {
            "sub": subject,
            # To the millisecond (RFC 7519 allows fractions): a token issued just before a
            # revocation and one just after, in the same second, are told apart.
            "iat": issued_at,
            "exp": int((now + self.ttl).timestamp()),
            "iss": self.issuer,
            "aud": self.audience,
            "jti": uuid.uuid4().hex,
        }
        token: str = jwt.encode(claims, self.key, algorithm=ALGORITHM)
        return token

    def subject_of(self, token: str) -> str | None:
        """The token's subject, or None for anything not signed and valid now."""
        verified = self.verified(token)
        return verified.subject if verified is not None else None

    def verified(self, token: str) -> VerifiedToken | None:
        """The token's checked claims, or None for anything not signed and valid now."""
        digest = hashlib.sha256(token.encode()).digest()
        verified = self._verified.get(digest)
        if verified is None:
            verified = _verified_claims(token, self.key, self.issuer, self.audience)
            if verified is None:
                return None  # failures are not kept: anyone can send endless new ones
            verified = verified._replace(digest=digest.hex())
            self._verified.put(digest, verified)
        return verified if verified.expires > utcnow().timestamp() else None


# Checking a signature costs more than the rest of a cached read: each valid token is
# checked once, and only its expiry on every later request (the user is re-read each time).
def _verified_claims(token: str, key: str, issuer: str, audience: str) -> VerifiedToken | None:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={f"require_{claim}": True for claim in REQUIRED_CLAIMS},
        )
    except (JWTError, ValueError, TypeError):
        return None
    subject, expires, issued_at = claims.get("sub"), claims.get("exp"), claims.get("iat")
    if not isinstance(subject, str) or len(subject) > MAX_SUBJECT_LENGTH:
        return None  # ours are "user:<id>"; a longer one is not ours and is not kept
    if not isinstance(expires, int | float) or not isinstance(issued_at, int | float):
        return None
    return VerifiedToken(subject, float(expires), float(issued_at), digest="")


def token_digest(token: str) -> str:
    """SHA-256 of a bearer token, hex: how a stored one (a service token, a signed-out
    token) is found without keeping it. A fast hash is enough for 256 random bits."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_service_token() -> str:
    return SERVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
