"""Single sign-on: the company's identity provider (OpenID Connect) and its tokens.

Its discovery document and signing keys are fetched once and kept: a token is checked
against them with python-jose, with the algorithm the key's type pins (RS256 or ES256),
never the one the token names. Each valid token is checked once, then found by its
digest, like reqtrack's own: the hot path makes no network call.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

import httpx
from jose import JWTError, jwt
from pydantic import TypeAdapter, ValidationError

from app.auth.models import MAX_DISPLAY_NAME_LENGTH, DisplayName, Role, UserEmail
from app.core.config import Settings, is_safe_provider_url
from app.core.security import VerifiedTokens
from app.core.types import utcnow

logger = logging.getLogger("reqtrack.oidc")

# The key's type names its algorithm: a token cannot choose a weaker one (or none).
ALGORITHM_OF_KEY = {"RSA": "RS256", "EC": "ES256"}
# An unknown kid refetches the keys, at most this often: a stream of forged kids cannot
# make us hammer the provider.
KEYS_REFETCH_SECONDS = 60.0
# Keys are refetched this long after the last fetch even when every kid is known, so a
# key the provider retired stops working without waiting for a new kid.
KEYS_MAX_AGE_SECONDS = 3600.0
FETCH_TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 512 * 1024
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud")
CLOCK_LEEWAY_SECONDS = 60
_EMAIL: TypeAdapter[str] = TypeAdapter(UserEmail)
_NAME: TypeAdapter[str] = TypeAdapter(DisplayName)


class ProviderUnavailable(Exception):
    """The identity provider's discovery document or keys could not be fetched."""


class IdentityToken(NamedTuple):
    """What the API reads of an identity provider's token whose signature and claims
    were checked."""

    email: str
    # The highest role its groups map to; None when no group maps (refused with 403).
    role: Role | None
    name: str | None
    expires: float
    issued_at: float
    digest: str


class ProviderKeys:
    """The issuer's discovery document and JWKS, fetched when first needed and kept."""

    def __init__(self, issuer: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.issuer = issuer
        self._clock = clock
        self._discovery: dict[str, Any] | None = None
        self._discovery_failed_at: float | None = None
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        # One per event loop: an asyncio lock belongs to the loop that first waits on it.
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            WeakKeyDictionary()
        )

    async def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            # While the provider is down, sign-ins fail at once rather than each wait on it.
            failed_at = self._discovery_failed_at
            if failed_at is not None and self._clock() - failed_at < KEYS_REFETCH_SECONDS:
                raise ProviderUnavailable("the discovery document failed less than a minute ago")
            # OpenID Connect Discovery 1.0, 4: the issuer, less any trailing /, then this.
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                document = await _fetch_json(url)
            except ProviderUnavailable:
                self._discovery_failed_at = self._clock()
                raise
            if document.get("issuer") != self.issuer:
                raise ProviderUnavailable("the discovery document names another issuer")
            self._discovery = document
        return self._discovery

    async def key(self, kid: str) -> dict[str, Any] | None:
        """The published key `kid`, refetching the keys when it is unknown (at most once a
        minute) or when they are old."""
        if kid in self._keys and not self._stale(KEYS_MAX_AGE_SECONDS):
            return self._keys[kid]
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            unknown = kid not in self._keys
            if (unknown and self._stale(KEYS_REFETCH_SECONDS)) or self._stale(KEYS_MAX_AGE_SECONDS):
                try:
                    await self._refetch()
                except ProviderUnavailable:
                    if unknown:
                        raise
                    # An old key set still checks the tokens of the keys it has.
        return self._keys.get(kid)

    def _stale(self, seconds: float) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= seconds

    async def _refetch(self) -> None:
        self._fetched_at = self._clock()  # a failure waits its minute too
        jwks_uri = (await self.discovery()).get("jwks_uri")
        if not isinstance(jwks_uri, str) or not is_safe_provider_url(jwks_uri):
            raise ProviderUnavailable("the discovery document has no usable jwks_uri")
        keys = (await _fetch_json(jwks_uri)).get("keys")
        if not isinstance(keys, list):
            raise ProviderUnavailable("the JWKS has no keys")
        self._keys = {
            key["kid"]: key
            for key in keys
            if isinstance(key, dict)
            and isinstance(key.get("kid"), str)
            and key.get("kty") in ALGORITHM_OF_KEY
            and key.get("use", "sig") == "sig"
        }


async def _fetch_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise ProviderUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} did not answer a JSON object")
    return document


# Writes the user an identity names: made on first sign-in, or given the role the groups
# map to now (oidc_users.record_identity, in a transaction).
RecordUser = Callable[[IdentityToken], Awaitable[None]]


class IdentityTokens:
    """Checks the identity provider's access tokens and names their callers."""

    def __init__(self, settings: Settings, *, record_user: RecordUser) -> None:
        assert settings.oidc_issuer is not None
        self.keys = ProviderKeys(settings.oidc_issuer)
        self.audience = settings.oidc_audience
        self.groups_claim = settings.oidc_groups_claim
        self.role_map = {group: Role(role) for group, role in settings.oidc_role_map.items()}
        self.record_user = record_user
        self._verified: VerifiedTokens[IdentityToken] = VerifiedTokens()

    def known(self, token: str) -> IdentityToken | None:
        """The token's claims if it was checked before and is valid now: no I/O."""
        identity = self._verified.get(hashlib.sha256(token.encode()).digest())
        return identity if identity is not None and self._live(identity) else None

    async def verified(self, token: str) -> IdentityToken | None:
        """The token's checked claims, or None for anything not signed by the provider and
        valid now (or when the provider's keys cannot be had)."""
        digest = hashlib.sha256(token.encode()).digest()
        identity = self._verified.get(digest)
        if identity is None:
            claims = await self.checked_claims(token, audience=self.audience)
            if claims is not None and "at_hash" in claims:
                return None  # an ID token: it says who signed in, it grants no access
            identity = self.identity_of(claims, digest.hex()) if claims else None
            if identity is None:
                return None  # failures are not kept: anyone can send endless new ones
            self._verified.put(digest, identity)
        return identity if self._live(identity) else None

    @staticmethod
    def _live(identity: IdentityToken) -> bool:
        return identity.expires > utcnow().timestamp()

    async def checked_claims(
        self, token: str, *, audience: str | None, access_token: str | None = None
    ) -> dict[str, Any] | None:
        """The claims of a token the provider signed, for this audience, valid now; an ID
        token's at_hash checked against the access token issued with it."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except JWTError:
            return None
        if not isinstance(kid, str):
            return None
        try:
            key = await self.keys.key(kid)
        except ProviderUnavailable as exc:
            logger.warning("identity provider keys unavailable: %s", exc)
            return None
        if key is None:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM_OF_KEY[key["kty"]]],
                audience=audience,
                issuer=self.keys.issuer,
                access_token=access_token,
                options={f"require_{claim}": True for claim in REQUIRED_CLAIMS},
            )
        except (JWTError, ValueError, TypeError, KeyError):
            return None
        return claims

    def identity_of(self, claims: dict[str, Any], digest: str) -> IdentityToken | None:
        """Who checked claims name: None without an e-mail the provider verified."""
        email, verified = _email(claims.get("email")), claims.get("email_verified")
        if email is None or verified not in (True, "true"):
            return None  # an e-mail the provider did not verify names nobody
        expires, issued_at = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, int | float) or not isinstance(issued_at, int | float):
            return None
        if issued_at > utcnow().timestamp() + CLOCK_LEEWAY_SECONDS:
            return None  # issued in the future: it would end every token of theirs until then
        return IdentityToken(
            email=email,
            role=self.role_of(claims.get(self.groups_claim)),
            name=_display_name(claims.get("name")),
            expires=float(expires),
            issued_at=float(issued_at),
            digest=digest,
        )

    def role_of(self, groups: Any) -> Role | None:
        """The highest role the groups map to; None when none does."""
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            return None
        roles = [self.role_map[g] for g in groups if isinstance(g, str) and g in self.role_map]
        return max(roles, key=lambda role: role.rank) if roles else None


def _email(claim: Any) -> str | None:
    """The claim as the e-mail of an account (validated and lower-case, as ours are)."""
    try:
        return _EMAIL.validate_python(claim) if isinstance(claim, str) else None
    except ValidationError:
        return None


def _display_name(claim: Any) -> str | None:
    """The claim as a display name: control characters dropped, cut to its limit."""
    if not isinstance(claim, str):
        return None
    printable = "".join(c for c in claim if c.isprintable()).strip()
    try:
        return _NAME.validate_python(printable[:MAX_DISPLAY_NAME_LENGTH])
    except ValidationError:
        return None
