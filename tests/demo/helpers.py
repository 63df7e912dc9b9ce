"""Reading a database the demo command loaded, as its first admin."""

from fastapi.testclient import TestClient

from app.core.config import get_settings
from tests.conftest import TEST_SECRET_KEY, app_on


def api_as_first_admin(monkeypatch, engine) -> TestClient:
    monkeypatch.setenv("REQTRACK_SECRET_KEY", TEST_SECRET_KEY)
    get_settings.cache_clear()
    app = app_on(engine)
    client = TestClient(app)
    client.headers["Authorization"] = "Bearer " + app.state.token_issuer.issue("user:1")
    return client
