"""Fixtures of the auth tests: single sign-on against a real identity provider."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core.config import Settings
from tests.auth.identity_provider import IdentityProvider
from tests.auth.sso import AUDIENCE, CALLBACK, CLIENT_ID, sso_settings
from tests.conftest import app_on


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[IdentityProvider]:
    with IdentityProvider(client_id=CLIENT_ID, audience=AUDIENCE, redirect_uri=CALLBACK) as idp:
        yield idp


@pytest.fixture
def sso_app(
    settings: Settings, engine: Engine, identity_provider: IdentityProvider, client: TestClient
) -> FastAPI:
    """An app that trusts the test's identity provider; `client` empties the tables after."""
    return app_on(engine, sso_settings(settings, identity_provider))


@pytest.fixture
def sso(sso_app: FastAPI) -> TestClient:
    """An anonymous client of that app."""
    return TestClient(sso_app)
