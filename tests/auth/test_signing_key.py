"""The signing key: generated once and kept private in development, required in production."""

import stat

import pytest

from app.core.config import Settings
from app.core.security import InsecureSettings, resolve_secret_key
from app.main import create_app


def test_development_generates_a_key_once_with_mode_0600(tmp_path):
    settings = Settings(environment="development", data_dir=tmp_path / "var")

    first = resolve_secret_key(settings)
    second = resolve_secret_key(settings)

    key_file = tmp_path / "var" / "secret_key"
    assert first == second
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_tokens_survive_a_restart(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", data_dir=tmp_path)
    token = create_app(settings).state.token_issuer.issue("user:1")

    restarted = create_app(settings)

    assert restarted.state.token_issuer.subject_of(token) == "user:1"


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_a_missing_key_refuses_to_start(tmp_path, environment):
    settings = Settings(environment=environment, data_dir=tmp_path)

    with pytest.raises(InsecureSettings):
        create_app(settings)
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_a_weak_key(tmp_path):
    settings = Settings(environment="production", secret_key="short", data_dir=tmp_path)

    with pytest.raises(InsecureSettings):
        resolve_secret_key(settings)


def test_the_configured_key_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("REQTRACK_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("REQTRACK_ENVIRONMENT", "production")

    settings = Settings(data_dir=tmp_path)

    assert resolve_secret_key(settings) == "x" * 40
