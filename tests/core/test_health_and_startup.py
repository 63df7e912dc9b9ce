"""Probes, and the embedded default: a SQLite file created and migrated on first start."""

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.auth.service import ensure_first_admin
from app.core.config import DEFAULT_DATABASE_URL, Settings
from app.core.db import open_session
from app.main import create_app

PASSWORD = "first start password"


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_first_start_creates_and_migrates_the_sqlite_file(tmp_path):
    path = tmp_path / "nested" / "reqtrack.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", data_dir=tmp_path))

    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        with open_session(app.state.engine, write=True) as session:
            ensure_first_admin(session=session, email="admin@localhost", password=PASSWORD)
            session.commit()
        login = {"username": "admin@localhost", "password": PASSWORD}
        token = client.post("/api/v1/auth/token", data=login).json()["access_token"]
        made = client.post(
            "/api/v1/needs",
            json={"statement": "Works out of the box"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201

    assert path.exists()


def test_readyz_is_503_while_the_schema_is_behind(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", data_dir=tmp_path))

    response = TestClient(app).get("/readyz")  # no lifespan: nothing migrated

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pragmas.db'}", data_dir=tmp_path)
    engine = create_app(settings).state.engine

    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_defaults_need_no_configuration(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REQTRACK_DATABASE_URL", raising=False)

    assert Settings().database_url == DEFAULT_DATABASE_URL == "sqlite:///./var/reqtrack.db"


def test_plain_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/reqtrack")

    assert Settings().database_url == "postgresql+psycopg://u@db:5432/reqtrack"
