"""A small but real OpenID Connect identity provider served over HTTP on 127.0.0.1, for
testing the service's token checks and its browser login (authorization code + PKCE)."""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

KeyKind = Literal["rsa", "ec"]
ALGORITHMS: dict[KeyKind, str] = {"rsa": "RS256", "ec": "ES256"}
CODE_LIFETIME = 60  # seconds; RFC 6749 advises codes live no more than ten minutes
TOKEN_LIFETIME = 300
_PKCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """The S256 PKCE challenge of a code verifier (RFC 7636)."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def subject_for(email: str) -> str:
    """The stable `sub` this provider gives an e-mail address."""
    return "idp|" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    kind: KeyKind
    private_pem: str
    public_pem: str

    @property
    def alg(self) -> str:
        return ALGORITHMS[self.kind]

    def public_jwk(self) -> dict[str, Any]:
        public = jwk.construct(self.public_pem, self.alg).to_dict()
        return {**public, "kid": self.kid, "use": "sig", "alg": self.alg}

    @classmethod
    def generate(cls, kind: KeyKind) -> "SigningKey":
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if kind == "rsa":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        private_pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        public_pem = (
            private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )
        return cls(secrets.token_urlsafe(8), kind, private_pem, public_pem)


@dataclass(frozen=True)
class Person:
    email: str
    groups: tuple[str, ...]
    email_verified: bool
    name: str | None


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    person: Person
    issued_at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, provider: "IdentityProvider") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.provider = provider


class IdentityProvider:
    """Start it (or use it as a context manager), point the service at `issuer`, choose
    who signs in with `sign_in_as`, and mint tokens with `access_token`."""

    def __init__(
        self,
        *,
        client_id: str = "reqtrack",
        client_secret: str = "reqtrack-test-client-secret",
        redirect_uri: str = "http://testserver/api/v1/auth/oidc/callback",
        audience: str = "reqtrack-api",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.audience = audience
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self._lock = threading.Lock()
        self._published: list[SigningKey] = []
        self._retired: list[SigningKey] = []
        self._codes: dict[str, _Grant] = {}
        self._person: Person | None = None
        self._refusal: str | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the identity provider is already running")
        with self._lock:
            self._published = [SigningKey.generate("rsa"), SigningKey.generate("ec")]
            self._retired = []
        self._server = _Server(self)
        # A short poll: stop() waits for it, and the default half second adds up over a suite.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="identity-provider",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def issuer(self) -> str:
        if self._server is None:
            raise RuntimeError("the identity provider is not running: call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # Keys

    @property
    def key_ids(self) -> list[str]:
        with self._lock:
            return [key.kid for key in self._published]

    @property
    def retired_key_ids(self) -> list[str]:
        with self._lock:
            return [key.kid for key in self._retired]

    def rotate(self, kind: KeyKind = "rsa") -> str:
        """Publish a new key of that kind and stop publishing the previous one."""
        new = SigningKey.generate(kind)
        with self._lock:
            old = [key for key in self._published if key.kind == kind]
            self._published = [key for key in self._published if key.kind != kind] + [new]
            self._retired.extend(old)
        return new.kid

    def signing_key(self, key: str = "rsa") -> SigningKey:
        """The published key of a kind ("rsa", "ec"), or any key, retired too, by its kid."""
        with self._lock:
            if key in ALGORITHMS:
                return next(k for k in reversed(self._published) if k.kind == key)
            for candidate in [*self._published, *self._retired]:
                if candidate.kid == key:
                    return candidate
        raise KeyError(f"no key with kid {key!r}")

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            published = list(self._published)
        return {"keys": [key.public_jwk() for key in published]}

    # Who signs in

    def sign_in_as(
        self,
        email: str,
        *,
        groups: Iterable[str] = ("product",),
        email_verified: bool = True,
        name: str | None = None,
    ) -> None:
        with self._lock:
            self._person = Person(email, tuple(groups), email_verified, name)

    def refuse_next_login(self, error: str = "access_denied") -> None:
        with self._lock:
            self._refusal = error

    # Tokens

    def claims_for(
        self,
        email: str = "ana@example.com",
        *,
        groups: Iterable[str] = ("product",),
        email_verified: bool = True,
        claims: dict[str, Any] | None = None,
        lifetime: int = TOKEN_LIFETIME,
    ) -> dict[str, Any]:
        """An access token's claims; in `claims`, a value of None removes that claim."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject_for(email),
            "email": email,
            "email_verified": email_verified,
            "groups": list(groups),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
        }
        return _merged(payload, claims)

    def access_token(
        self,
        email: str = "ana@example.com",
        *,
        groups: Iterable[str] = ("product",),
        email_verified: bool = True,
        key: str = "rsa",
        claims: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        lifetime: int = TOKEN_LIFETIME,
    ) -> str:
        """A signed access token; `key` is "rsa", "ec" or a kid (a retired one too), and in
        `headers` a value of None removes that header (only "kid" can be removed)."""
        payload = self.claims_for(
            email, groups=groups, email_verified=email_verified, claims=claims, lifetime=lifetime
        )
        return self._sign(payload, key, headers)

    def unsigned_token(
        self,
        email: str = "ana@example.com",
        *,
        groups: Iterable[str] = ("product",),
        email_verified: bool = True,
        claims: dict[str, Any] | None = None,
        lifetime: int = TOKEN_LIFETIME,
    ) -> str:
        """An `alg: none` token naming a published kid: it must never be accepted."""
        payload = self.claims_for(
            email, groups=groups, email_verified=email_verified, claims=claims, lifetime=lifetime
        )
        header = {"alg": "none", "typ": "JWT", "kid": self.signing_key("rsa").kid}
        return f"{_segment(header)}.{_segment(payload)}."

    def hs256_with_public_key(
        self,
        email: str = "ana@example.com",
        *,
        groups: Iterable[str] = ("product",),
        email_verified: bool = True,
        claims: dict[str, Any] | None = None,
        lifetime: int = TOKEN_LIFETIME,
    ) -> str:
        """An HS256 token keyed with the published RSA public key's PEM (algorithm
        confusion): it must never be accepted."""
        payload = self.claims_for(
            email, groups=groups, email_verified=email_verified, claims=claims, lifetime=lifetime
        )
        key = self.signing_key("rsa")
        header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
        signing_input = f"{_segment(header)}.{_segment(payload)}"
        # By hand: python-jose refuses a PEM as an HMAC secret, which is the point here.
        mac = hmac.new(key.public_pem.encode("ascii"), signing_input.encode("ascii"), "sha256")
        return f"{signing_input}.{b64url(mac.digest())}"

    def id_token(
        self, person: Person, nonce: str, *, key: str = "rsa", access_token: str | None = None
    ) -> str:
        """An ID token; with the access token issued beside it, its at_hash too, as
        Keycloak, Google and Okta put in the code flow's ID tokens."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject_for(person.email),
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "nonce": nonce,
            "email": person.email,
            "email_verified": person.email_verified,
            "groups": list(person.groups),
        }
        if person.name is not None:
            payload["name"] = person.name
        if access_token is not None:  # OpenID Connect Core 3.1.3.6: RS256 and ES256 use SHA-256
            digest = hashlib.sha256(access_token.encode()).digest()
            payload["at_hash"] = b64url(digest[: len(digest) // 2])
        return self._sign(payload, key, None)

    def _sign(self, payload: dict[str, Any], key: str, headers: dict[str, Any] | None) -> str:
        signing_key = self.signing_key(key)
        header = _merged({"kid": signing_key.kid}, headers)
        token = jwt.encode(
            payload, signing_key.private_pem, algorithm=signing_key.alg, headers=header
        )
        return str(token)

    # Endpoints (called from the server's threads)

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            self.discovery_fetches += 1
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
            "grant_types_supported": ["authorization_code"],
        }

    def published_jwks(self) -> dict[str, Any]:
        with self._lock:
            self.jwks_fetches += 1
        return self.jwks()

    def authorize(self, query: str) -> tuple[int, str]:
        """(400, reason) for a bad request, else (302, the Location to send the browser to)."""
        params = parse_qs(query, keep_blank_values=True)
        if any(len(values) > 1 for values in params.values()):
            return 400, "a parameter is repeated"
        single = {name: values[0] for name, values in params.items()}
        checks = [
            (single.get("response_type") == "code", "response_type must be code"),
            (single.get("client_id") == self.client_id, "unknown client_id"),
            (single.get("redirect_uri") == self.redirect_uri, "redirect_uri is not registered"),
            (_is_s256_challenge(single.get("code_challenge", "")), "code_challenge is missing"),
            (single.get("code_challenge_method") == "S256", "code_challenge_method must be S256"),
            (bool(single.get("state")), "state is missing"),
            (bool(single.get("nonce")), "nonce is missing"),
            ("openid" in single.get("scope", "").split(), "scope must include openid"),
        ]
        for passed, reason in checks:
            if not passed:
                return 400, reason
        with self._lock:
            refusal, self._refusal = self._refusal, None
            person = self._person
            if refusal is not None or person is None:
                answer = {"error": refusal or "access_denied", "state": single["state"]}
                return 302, _with_query(self.redirect_uri, answer)
            code = secrets.token_urlsafe(32)
            self._codes[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=single["redirect_uri"],
                code_challenge=single["code_challenge"],
                nonce=single["nonce"],
                person=person,
                issued_at=time.monotonic(),
            )
        return 302, _with_query(self.redirect_uri, {"code": code, "state": single["state"]})

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        client_id, client_secret = _client_credentials(form, authorization) or ("", "")
        if not (
            hmac.compare_digest(client_id.encode(), self.client_id.encode())
            and hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        ):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            # Spent by any attempt, a wrong one too: a verifier cannot be guessed at leisure.
            grant = self._codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        if (
            grant is None
            or time.monotonic() - grant.issued_at > CODE_LIFETIME
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or not _is_verifier(verifier)
            or not hmac.compare_digest(code_challenge(verifier), grant.code_challenge)
        ):
            return 400, {"error": "invalid_grant"}
        person = grant.person
        access_token = self.access_token(
            person.email, groups=person.groups, email_verified=person.email_verified
        )
        return 200, {
            "access_token": access_token,
            "id_token": self.id_token(person, grant.nonce, access_token=access_token),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
        }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        provider = self.server.provider
        path, _, query = self.path.partition("?")
        if path == "/.well-known/openid-configuration":
            self._json(200, provider.discovery())
        elif path == "/jwks":
            self._json(200, provider.published_jwks())
        elif path == "/authorize":
            status, answer = provider.authorize(query)
            if status == 302:
                self._send(302, b"", "text/plain", {"Location": answer})
            else:
                self._send(status, answer.encode(), "text/plain; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        if self.path.partition("?")[0] != "/token":
            self._send(404, b"not found", "text/plain")
            return
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if content_type != "application/x-www-form-urlencoded":
            self._json(400, {"error": "invalid_request"})
            return
        params = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        if any(len(values) > 1 for values in params.values()):
            self._json(400, {"error": "invalid_request"})
            return
        form = {name: values[0] for name, values in params.items()}
        status, answer = self.server.provider.token(form, self.headers.get("Authorization"))
        extra = {"WWW-Authenticate": 'Basic realm="token"'} if status == 401 else {}
        self._json(status, answer, extra)

    def _json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        # Token answers must not be cached (RFC 6749, 5.1); harmless on the others.
        extra = {"Cache-Control": "no-store", **(headers or {})}
        self._send(status, json.dumps(body).encode(), "application/json", extra)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _merged(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**base, **(changes or {})}
    return {name: value for name, value in merged.items() if value is not None}


def _segment(part: dict[str, Any]) -> str:
    return b64url(json.dumps(part, separators=(",", ":")).encode("utf-8"))


def _with_query(url: str, params: dict[str, str]) -> str:
    """The URL with these parameters added to whatever query it already has."""
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def _is_s256_challenge(value: str) -> bool:
    # A base64url SHA-256 digest without padding is always 43 characters.
    return len(value) == 43 and set(value) <= _PKCE_CHARS - {".", "~"}


def _is_verifier(value: str) -> bool:
    return 43 <= len(value) <= 128 and set(value) <= _PKCE_CHARS


def _client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) from HTTP Basic or the form; None when absent, malformed
    or sent both ways (RFC 6749, 2.3: one method per request)."""
    in_form = "client_secret" in form
    if authorization is None:
        return (form.get("client_id", ""), form["client_secret"]) if in_form else None
    scheme, _, encoded = authorization.partition(" ")
    if in_form or scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        return None
    # Taken as sent: RFC 6749 (2.3.1) form-encodes both halves first, but Authlib and httpx
    # send them raw, as most providers accept them.
    return client_id, client_secret
