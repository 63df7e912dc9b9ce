"""Single sign-on tests' settings: an app configured to trust the test's identity
provider (tests/auth/conftest.py starts one on 127.0.0.1)."""

from pydantic import SecretStr

from app.core.config import Settings
from tests.auth.identity_provider import IdentityProvider

AUDIENCE = "reqtrack-api"
CLIENT_ID = "reqtrack"
ROLE_MAP = {"product": "manager", "support": "contributor", "everyone": "viewer", "it": "admin"}
CALLBACK = "http://testserver/api/v1/auth/oidc/callback"


def sso_settings(settings: Settings, idp: IdentityProvider) -> Settings:
    return settings.model_copy(
        update={
            "oidc_issuer": idp.issuer,
            "oidc_audience": AUDIENCE,
            "oidc_role_map": ROLE_MAP,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(idp.client_secret),
            "public_url": "http://testserver",
        }
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
