"""Accounts, logins, service tokens: who may call, and as what."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from app.auth.models import (
    LoginThrottle,
    Principal,
    Role,
    ServiceToken,
    ServiceTokenCreate,
    User,
    UserCreate,
    UserUpdate,
)
from app.core.config import Settings
from app.core.db import insert_if_absent
from app.core.direct import DirectQuery, DirectReads
from app.core.errors import Conflict, NotFound
from app.core.filters import where_equal
from app.core.models import apply_changes
from app.core.pagination import PageParams, fetch_page
from app.core.search import contains_text
from app.core.security import (
    SERVICE_TOKEN_PREFIX,
    TokenIssuer,
    hash_password,
    hash_service_token,
    new_service_token,
    verify_password,
)
from app.core.types import MAX_ID, FilterText, utcnow

# last_used_at is refreshed at most this often: not a write on every read.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class UserFilters(PageParams):
    role: Role | None = None
    active: bool | None = None
    q: FilterText | None = None


class LoginRefused(Exception):
    """Too many failed logins for this e-mail: retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins")
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
    return fetch_page(session=session, statement=statement, id_column=col(User.id), params=filters)


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
    apply_changes(user, data.model_dump(exclude_unset=True))
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


def authenticate(*, session: Session, settings: Settings, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; refuses after repeated failures.

    Unknown e-mail and wrong password take the same path and time.
    """
    email = email.strip().lower()
    now = utcnow()
    throttle = session.get(LoginThrottle, email, with_for_update=True)
    if throttle and throttle.blocked_until and throttle.blocked_until > now:
        raise LoginRefused(int((throttle.blocked_until - now).total_seconds()) + 1)
    user = session.exec(select(User).where(User.email == email)).first()
    valid = verify_password(password, user.password_hash if user else None)
    if valid and user is not None and user.active:
        if throttle is not None:
            session.delete(throttle)
        return user
    _count_failure(session, settings, email, throttle)
    return None


def _count_failure(
    session: Session, settings: Settings, email: str, throttle: LoginThrottle | None
) -> None:
    now = utcnow()
    window = timedelta(seconds=settings.login_lockout_seconds)
    if throttle is None:
        # Two failures at once must not both insert: create it if absent, then lock it.
        insert_if_absent(session, LoginThrottle(email=email, failures=0, window_started_at=now))
        throttle = session.get(LoginThrottle, email, with_for_update=True, populate_existing=True)
        assert throttle is not None
    if now - throttle.window_started_at > window:
        throttle.failures, throttle.window_started_at = 0, now
    throttle.failures += 1
    if throttle.failures >= settings.login_max_failures:
        throttle.blocked_until = now + window
        throttle.failures, throttle.window_started_at = 0, now
    session.flush()


# Who is calling


# Read through the driver on every request: the user or token as it is now.
_USER_BY_ID = DirectQuery(
    select(User.id, User.role, User.email, User.active).where(col(User.id) == bindparam("user_id"))
)
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


async def caller_for_token(*, reads: DirectReads, issuer: TokenIssuer, token: str) -> Caller | None:
    """The caller behind a bearer token, checked against the database on every request,
    so a revoked token or a deactivated user stops working at once."""
    if token.startswith(SERVICE_TOKEN_PREFIX):
        return await _service_token_caller(reads, token)
    subject = issuer.subject_of(token)
    if subject is None or not subject.startswith("user:"):
        return None
    user_id = subject.removeprefix("user:")
    if not user_id.isdigit() or int(user_id) > MAX_ID:
        return None
    user = await reads.one(_USER_BY_ID, user_id=int(user_id))
    if user is None or not user["active"]:
        return None
    return Caller(
        Principal(kind="user", id=user["id"], role=Role(user["role"]), label=user["email"])
    )


async def _service_token_caller(reads: DirectReads, token: str) -> Caller | None:
    stored = await reads.one(_LIVE_SERVICE_TOKEN, token_hash=hash_service_token(token))
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
        session=session, statement=statement, id_column=col(ServiceToken.id), params=page
    )


def create_service_token(
    *, session: Session, data: ServiceTokenCreate, created_by: int | None
) -> tuple[ServiceToken, str]:
    token = new_service_token()
    stored = ServiceToken(
        name=data.name, role=data.role, token_hash=hash_service_token(token), created_by=created_by
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
