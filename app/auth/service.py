"""Accounts, logins, service tokens: who may call, and as what."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field
from sqlalchemy import ColumnElement, Table, bindparam, delete, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from app.auth.models import (
    EVERY_EMAIL,
    MAX_EMAIL_LENGTH,
    LoginThrottle,
    Principal,
    RevokedToken,
    Role,
    ServiceToken,
    ServiceTokenCreate,
    User,
    UserCreate,
    UserUpdate,
    login_key,
    throttled_address,
)
from app.auth.oidc import IdentityToken, IdentityTokens
from app.core.config import Settings
from app.core.direct import DirectQuery, DirectReads, Row
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.filters import where_equal
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.core.search import contains_text
from app.core.security import (
    MAX_BEARER_TOKEN_LENGTH,
    SERVICE_TOKEN_PREFIX,
    TokenIssuer,
    VerifiedToken,
    hash_password,
    new_service_token,
    token_digest,
    verify_password,
)
from app.core.throttle import Throttle
from app.core.types import MAX_ID, FilterText, utcnow

# last_used_at is refreshed at most this often: not a write on every read.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Expired login_throttle rows deleted by each counted login, at most.
PRUNED_PER_LOGIN = 100
_THROTTLE: Table = LoginThrottle.__table__  # type: ignore[attr-defined]
_LOGINS = Throttle(_THROTTLE, keys=("email", "client_address"), count="failures")


class UserFilters(PageParams):
    role: Role | None = Field(default=None, description="Only users with this role.")
    active: bool | None = Field(
        default=None, description="true: only active accounts; false: only deactivated ones."
    )
    q: FilterText | None = Field(
        default=None, description="Text in the e-mail or display name (any case)."
    )


class LoginRefused(Exception):
    """Too many failed logins for this e-mail from this address, or from this address:
    retry after `retry_after` seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


# Users


def get_user(*, session: Session, user_id: int, for_update: bool = False) -> User:
    user = session.get(User, user_id, with_for_update=for_update, populate_existing=for_update)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


def list_users(*, session: Session, filters: UserFilters) -> tuple[Sequence[User], str | None]:
    statement = select(User)
    statement = where_equal(statement, User, filters, "role", "active")
    if filters.q:
        statement = statement.where(contains_text(filters.q, User.email, User.display_name))
    return fetch_page(
        session=session,
        statement=statement,
        id_column=col(User.id),
        params=filters,
        list_name="/users",
    )


def create_user(*, session: Session, data: UserCreate) -> User:
    if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
        raise Conflict(f"A user with e-mail {data.email} already exists.")
    user = User(
        email=data.email,
        display_name=data.display_name,
        role=data.role,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    session.flush()
    return user


def update_user(*, session: Session, user: User, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    deactivated = user.active and changes.get("active") is False
    if deactivated or changes.get("role", user.role) != user.role:
        # Its tokens stay dead, even once the user is active again or back in the role.
        changes["tokens_valid_after"] = utcnow()
    apply_changes(user, changes)
    session.flush()
    return user


def command_principal(*, session: Session, email: str | None) -> Principal | None:
    """Who a command line tool acts as: the active user with this e-mail, or (none given)
    the first active admin; None when there is no such user."""
    chosen = select(User).where(col(User.active))
    if email is not None:
        chosen = chosen.where(User.email == email.strip().lower())
    else:
        chosen = chosen.where(User.role == Role.admin).order_by(col(User.id))
    user = session.exec(chosen).first()
    if user is None or user.id is None:
        return None
    return Principal(kind="user", id=user.id, role=user.role, label=user.email)


def ensure_first_admin(*, session: Session, email: str, password: str) -> User | None:
    """Create this admin if there are no users yet; None when some already exist."""
    if session.exec(select(User.id).limit(1)).first() is not None:
        return None
    data = UserCreate(email=email, display_name="Administrator", role=Role.admin, password=password)
    return create_user(session=session, data=data)


# Logging in


@dataclass(frozen=True)
class LoginAttempt:
    """A login counted before its password is checked (`count_login_attempt`)."""

    email: str
    client_address: str
    user: User | None


def count_login_attempt(
    *, session: Session, settings: Settings, email: str, client_address: str
) -> LoginAttempt:
    """Count a login against its (e-mail, address) pair and its address before any password
    is checked, so that a burst gets no more guesses than the limits; refuse it
    (LoginRefused) when either is over its limit. Commit it before checking the password.

    An attacker elsewhere cannot lock the user out, nor one address try every account.
    """
    email = login_key(email)
    # lower() lengthens a few characters ("İ"): a key longer than any account's is cut.
    key = email[:MAX_EMAIL_LENGTH]
    now = utcnow()
    until = now + timedelta(seconds=settings.login_lockout_seconds)
    limits = (
        (key, settings.login_max_failures, "this account from your address"),
        (EVERY_EMAIL, settings.login_max_failures_per_address, "your address"),
    )
    for counted_as, limit, whose in limits:
        counts = {"email": counted_as, "client_address": client_address}
        failures, expires_at = _LOGINS.attempt(session, counts, limit=limit, now=now, until=until)
        if failures > limit:  # refused: rolled back, so not counted either
            retry_after = int((expires_at - now).total_seconds()) + 1
            raise LoginRefused(f"Too many failed logins for {whose}.", retry_after)
    _LOGINS.prune(session, now, at_most=PRUNED_PER_LOGIN)
    user = session.exec(select(User).where(User.email == email)).first()
    return LoginAttempt(email=key, client_address=client_address, user=user)


def checked_password(*, session: Session, attempt: LoginAttempt, password: str) -> User | None:
    """The attempt's user if the password is theirs and they are active, else None.
    Unknown e-mail and wrong password take the same path and time. A success clears its
    pair's count and takes itself off its address's."""
    user = attempt.user
    valid = verify_password(password, user.password_hash if user else None)
    if not (valid and user is not None and user.active):
        return None
    address = _THROTTLE.c.client_address == attempt.client_address
    session.execute(delete(_THROTTLE).where(_THROTTLE.c.email == attempt.email, address))
    session.execute(
        update(_THROTTLE)
        .where(_THROTTLE.c.email == EVERY_EMAIL, address, _THROTTLE.c.failures > 0)
        .values(failures=_THROTTLE.c.failures - 1)
    )
    return user


def unlock_logins(*, session: Session, email: str | None, address: str | None) -> int:
    """Clear failed logins and lockouts: of an e-mail from every address, of an address
    (for every e-mail, and its own count), or of one e-mail from one address. How many
    counts were cleared."""
    assert email or address
    statement = delete(_THROTTLE)
    if email:
        statement = statement.where(_THROTTLE.c.email == login_key(email))
    if address:
        statement = statement.where(_THROTTLE.c.client_address == throttled_address(address))
    result = session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


# Who is calling


# Read through the driver on every request: the user as they are now, and whether this
# token was signed out (one statement: a revocation costs the hot path no round trip).
def _caller_user(where: ColumnElement[bool]) -> DirectQuery:
    return DirectQuery(
        select_columns(
            *(col(c) for c in (User.id, User.role, User.email, User.active)),
            col(User.tokens_valid_after),
            col(RevokedToken.token_digest).label("signed_out"),
        )
        .select_from(User)
        .outerjoin(RevokedToken, col(RevokedToken.token_digest) == bindparam("token_digest"))
        .where(where)
    )


_USER_BY_ID = _caller_user(col(User.id) == bindparam("user_id"))
# The identity provider's tokens name the user by e-mail.
_USER_BY_EMAIL = _caller_user(col(User.email) == bindparam("email"))
_LIVE_SERVICE_TOKEN = DirectQuery(
    select(ServiceToken.id, ServiceToken.role, ServiceToken.name, ServiceToken.last_used_at).where(
        col(ServiceToken.token_hash) == bindparam("token_hash"),
        col(ServiceToken.revoked_at).is_(None),
    )
)


@dataclass(frozen=True)
class Caller:
    principal: Principal
    # A service token whose last_used_at is older than LAST_USED_RESOLUTION.
    usage_due: bool = False
    # A user's token, as checked: what signing out revokes. None for a service token.
    token: VerifiedToken | IdentityToken | None = None


async def caller_for_token(
    *,
    reads: DirectReads,
    issuer: TokenIssuer,
    token: str,
    identities: IdentityTokens | None = None,
) -> Caller | None:
    """The caller behind a bearer token, checked against the database on every request,
    so a revoked token or a deactivated user stops working at once."""
    if len(token) > MAX_BEARER_TOKEN_LENGTH:
        return None  # longer than any token we or an identity provider issue: not parsed
    if token.startswith(SERVICE_TOKEN_PREFIX):
        return await _service_token_caller(reads, token)
    if identities is not None and (identity := identities.known(token)) is not None:
        return await caller_for_identity(reads, identities, identity)
    verified = issuer.verified(token)
    if verified is None:
        if identities is None or (identity := await identities.verified(token)) is None:
            return None
        return await caller_for_identity(reads, identities, identity)
    if not verified.subject.startswith("user:"):
        return None
    user_id = verified.subject.removeprefix("user:")
    if not user_id.isdigit() or int(user_id) > MAX_ID:
        return None
    user = await reads.one(_USER_BY_ID, user_id=int(user_id), token_digest=verified.digest)
    return _user_caller(user, verified)


async def caller_for_identity(
    reads: DirectReads, identities: IdentityTokens, identity: IdentityToken
) -> Caller | None:
    """The user an identity provider's token names: made on first sign-in, their role
    following their groups (403 when none maps to a role)."""
    user = await reads.one(_USER_BY_EMAIL, email=identity.email, token_digest=identity.digest)
    if user is None:
        regrouped = identity.role is not None
    else:
        # Only a token newer than the last change may change the role (or end access):
        # an older one carries older groups, and one as old has been heard already.
        valid_after = user["tokens_valid_after"]
        newer = valid_after is None or identity.issued_at > valid_after.timestamp()
        regrouped = user["active"] and newer and user["role"] != identity.role
    if regrouped:
        await identities.record_user(identity)
        user = await reads.one(_USER_BY_EMAIL, email=identity.email, token_digest=identity.digest)
    if identity.role is None:
        raise Forbidden("None of your groups at the identity provider gives a reqtrack role.")
    return _user_caller(user, identity)


def _user_caller(user: Row | None, token: VerifiedToken | IdentityToken) -> Caller | None:
    if user is None or not user["active"] or user["signed_out"] is not None:
        return None
    if _revoked(token, user["tokens_valid_after"]):
        return None
    principal = Principal(kind="user", id=user["id"], role=Role(user["role"]), label=user["email"])
    return Caller(principal, token=token)


def _revoked(token: VerifiedToken | IdentityToken, valid_after: datetime | None) -> bool:
    # Our tokens' iat is to the millisecond, rounded down: one issued before the cutoff
    # is always older than it.
    return valid_after is not None and token.issued_at < valid_after.timestamp()


async def _service_token_caller(reads: DirectReads, token: str) -> Caller | None:
    stored = await reads.one(_LIVE_SERVICE_TOKEN, token_hash=token_digest(token))
    if stored is None:
        return None
    last_used_at = stored["last_used_at"]
    principal = Principal(
        kind="service_token", id=stored["id"], role=Role(stored["role"]), label=stored["name"]
    )
    usage_due = last_used_at is None or utcnow() - last_used_at > LAST_USED_RESOLUTION
    return Caller(principal, usage_due=usage_due)


def record_service_token_use(*, session: Session, token_id: int) -> None:
    # A plain UPDATE: not audited, not versioned; usage is not an edit.
    session.execute(
        update(ServiceToken).where(col(ServiceToken.id) == token_id).values(last_used_at=utcnow())
    )


# Service tokens


def list_service_tokens(
    *, session: Session, page: PageParams
) -> tuple[Sequence[ServiceToken], str | None]:
    statement = select(ServiceToken).where(col(ServiceToken.revoked_at).is_(None))
    return fetch_page(
        session=session,
        statement=statement,
        id_column=col(ServiceToken.id),
        params=page,
        list_name="/service-tokens",
    )


def create_service_token(
    *, session: Session, data: ServiceTokenCreate, created_by: int | None
) -> tuple[ServiceToken, str]:
    token = new_service_token()
    stored = ServiceToken(
        name=data.name, role=data.role, token_hash=token_digest(token), created_by=created_by
    )
    session.add(stored)
    session.flush()
    return stored, token


def get_service_token(*, session: Session, token_id: int) -> ServiceToken:
    stored = session.get(ServiceToken, token_id, with_for_update=True, populate_existing=True)
    if stored is None or stored.revoked_at is not None:
        raise NotFound(f"Service token {token_id} does not exist.")
    return stored


def revoke_service_token(*, session: Session, token: ServiceToken) -> None:
    apply_changes(token, {"revoked_at": utcnow()})
    session.flush()
