"""Users, service tokens and their roles; failed-login bookkeeping."""

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

import pydantic
from annotated_types import MaxLen
from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlmodel import Field, SQLModel

from app.auth.password_rules import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    weak_password_reason,
)
from app.core.models import (
    NEVER_REUSE_IDS,
    Body,
    CreatedAt,
    ResourceTable,
    ServerId,
    described_like,
)
from app.core.pagination import Page
from app.core.security import TokenIssuer
from app.core.types import EmailAddress, NoNul, NotNull, Trimmed, UTCDateTime


class Role(StrEnum):
    """What a caller may do; each role may do all the one before it may. viewer reads;
    contributor adds stakeholders and requests, and edits its own requests; manager
    triages, decides, edits and deletes; admin manages users, service tokens and webhooks."""

    viewer = "viewer"
    contributor = "contributor"
    manager = "manager"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, required: "Role") -> bool:
        return self.rank >= required.rank


UserEmail = EmailAddress
MAX_EMAIL_LENGTH = 320
# An IPv6 address with a zone is at most 45 + a few; a proxy's odd value is cut here.
MAX_CLIENT_ADDRESS_LENGTH = 64
MAX_DISPLAY_NAME_LENGTH = 200
DisplayName = Annotated[
    str, pydantic.Field(min_length=1, max_length=MAX_DISPLAY_NAME_LENGTH), NoNul, Trimmed
]
Password = Annotated[
    str, pydantic.Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH), NoNul
]
NEW_LOGIN_RULES = (
    "At least 12 characters, not containing the e-mail, not one of the most common "
    "passwords; only a hash of it is stored."
)
TokenName = Annotated[str, pydantic.Field(min_length=1, max_length=100), NoNul, Trimmed]


def throttled_address(host: str) -> str:
    """A client address as login throttling counts it: IPv6 by its /64, which one client
    usually holds whole (one address each would give it endless fresh counts)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:MAX_CLIENT_ADDRESS_LENGTH] or "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)


def login_key(email: str) -> str:
    """An e-mail as logins find accounts and count failures by: trimmed, lower-case."""
    return email.strip().lower()


# A login's username: what an account's e-mail could be, spelled as login_key spells it;
# anything else is 422, never looked up or counted. The length is checked as typed.
LoginEmail = Annotated[
    str, MaxLen(MAX_EMAIL_LENGTH), NoNul, Trimmed, pydantic.AfterValidator(login_key)
]
LoginPassword = Annotated[str, pydantic.Field(max_length=MAX_PASSWORD_LENGTH)]
ResetToken = Annotated[str, pydantic.Field(min_length=1, max_length=200, pattern=r"^[\w.-]+$")]


class User(ResourceTable, table=True):
    __tablename__ = "user_account"
    __table_args__ = NEVER_REUSE_IDS

    email: str = Field(sa_type=String(MAX_EMAIL_LENGTH), unique=True)
    display_name: str = Field(sa_type=String(200))
    role: Role = Field(sa_type=String(16))
    active: bool = Field(default=True, sa_type=Boolean)
    password_hash: str = Field(sa_type=String(255))
    # Tokens issued (iat) before this are refused, even once the user is active
    # again; set by a deactivation, a password or role change, and "revoke all tokens".
    tokens_valid_after: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserCreate(Body):
    email: UserEmail = pydantic.Field(
        description="What they log in with; stored lower-case, one account per address."
    )
    display_name: DisplayName = pydantic.Field(description="Their name, as others see it.")
    role: Role = pydantic.Field(default=Role.viewer, description="What they may do.")
    password: Password = pydantic.Field(description=NEW_LOGIN_RULES)

    @pydantic.field_validator("password")
    @classmethod
    def password_is_not_weak(cls, password: str, info: pydantic.ValidationInfo) -> str:
        reason = weak_password_reason(password, info.data.get("email") or "")
        if reason is not None:
            raise ValueError(reason)
        return password


class UserUpdate(Body):
    model_config = {"json_schema_extra": described_like(UserCreate)}

    display_name: Annotated[DisplayName | None, NotNull] = None
    role: Annotated[Role | None, NotNull] = None
    active: Annotated[bool | None, pydantic.Strict(), NotNull] = pydantic.Field(
        default=None,
        description="False for a deactivated account: it cannot log in, and the tokens it "
        "had stay refused even once it is active again.",
    )


class UserRead(SQLModel):
    model_config = {"json_schema_extra": described_like(UserCreate, UserUpdate)}

    id: ServerId
    email: str
    display_name: str
    role: Role
    active: bool
    created_at: CreatedAt


class UserPage(Page[UserRead]):
    pass


class ServiceToken(ResourceTable, table=True):
    __tablename__ = "service_token"
    __table_args__ = NEVER_REUSE_IDS

    name: str = Field(sa_type=String(100))
    role: Role = Field(sa_type=String(16))
    # SHA-256 of the token: the token itself is shown once and never stored.
    token_hash: str = Field(sa_type=String(64), unique=True)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="user_account.id", ondelete="SET NULL"
    )


class ServiceTokenCreate(Body):
    name: TokenName = pydantic.Field(
        description="What the integration is (e.g. Helpdesk sync); the audit log names it."
    )
    role: Role = pydantic.Field(description="What the token may do, as a user of this role.")


class ServiceTokenRead(SQLModel):
    model_config = {"json_schema_extra": described_like(ServiceTokenCreate)}

    id: ServerId
    name: str
    role: Role
    created_at: CreatedAt
    last_used_at: datetime | None = pydantic.Field(
        description="When it was last used (UTC, to the minute); null if never."
    )


class ServiceTokenCreated(ServiceTokenRead):
    token: str = pydantic.Field(description="Shown this once; store it now.")


class ServiceTokenPage(Page[ServiceTokenRead]):
    pass


# The e-mail of the row that counts an address's logins whatever e-mail they name.
EVERY_EMAIL = ""


class LoginThrottle(SQLModel, table=True):
    """Login attempts not known to have succeeded, per (e-mail, client address) and per
    address (e-mail EVERY_EMAIL), shared by every server process. Past `failures` over
    the limit the key is refused until expires_at, when the row may be pruned."""

    __tablename__ = "login_throttle"

    email: str = Field(sa_type=String(MAX_EMAIL_LENGTH), primary_key=True)
    client_address: str = Field(sa_type=String(MAX_CLIENT_ADDRESS_LENGTH), primary_key=True)
    failures: int = Field(sa_type=Integer)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RevokedToken(SQLModel, table=True):
    """A token signed out before its expiry (POST /auth/logout), by the SHA-256 of the
    token: ours and an identity provider's alike. Pruned once it would have expired."""

    __tablename__ = "revoked_token"

    token_digest: str = Field(sa_type=String(64), primary_key=True)
    user_id: int = Field(
        sa_type=BigInteger, foreign_key="user_account.id", ondelete="CASCADE", index=True
    )
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class PasswordChange(Body):
    current_password: LoginPassword = pydantic.Field(
        description="The password you have now.", json_schema_extra={"format": "password"}
    )
    new_password: Password = pydantic.Field(
        description=NEW_LOGIN_RULES, json_schema_extra={"format": "password"}
    )


class PasswordReset(Body):
    token: ResetToken = pydantic.Field(
        description="The `token` of the reset link an admin made (POST /users/{id}/password-reset)."
    )
    new_password: Password = pydantic.Field(
        description=NEW_LOGIN_RULES, json_schema_extra={"format": "password"}
    )


class PasswordResetLink(SQLModel):
    reset_url: str = pydantic.Field(
        description="Hand it to the user, and only to them: it sets their password once. "
        "Shown in this answer only."
    )
    expires_at: datetime = pydantic.Field(description="When the link stops working (UTC).")


class TokenResponse(SQLModel):
    access_token: str = pydantic.Field(
        description="Send it on every call as the header Authorization: Bearer <token>."
    )
    token_type: Literal["bearer"] = pydantic.Field(
        default="bearer",
        description="Always bearer.",
    )
    expires_in: int = pydantic.Field(description="Seconds until the token expires.")

    @classmethod
    def for_user(
        cls, issuer: TokenIssuer, user_id: int, *, not_before: datetime | None = None
    ) -> "TokenResponse":
        """A new access token for the user, as every way of signing in answers it."""
        token = issuer.issue(f"user:{user_id}", not_before=not_before)
        return cls(access_token=token, expires_in=int(issuer.ttl.total_seconds()))


class Me(SQLModel):
    """The caller: a user, or a service token's name and role."""

    kind: Literal["user", "service_token"] = pydantic.Field(
        description="A signed-in user, or an integration's service token."
    )
    id: int = pydantic.Field(description="The user's or the service token's id.")
    role: Role = pydantic.Field(description="What the caller may do.")
    email: str | None = pydantic.Field(
        default=None, description="The user's e-mail; null for a service token."
    )
    display_name: str | None = pydantic.Field(
        default=None, description="The user's name; null for a service token."
    )
    name: str | None = pydantic.Field(
        default=None, description="The service token's name; null for a user."
    )


@dataclass(frozen=True)
class Principal:
    """Whoever is calling: a signed-in user, an integration's service token, or a
    stakeholder on their portal page (through their signed link)."""

    kind: Literal["user", "service_token", "stakeholder"]
    id: int
    role: Role
    label: str

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None
