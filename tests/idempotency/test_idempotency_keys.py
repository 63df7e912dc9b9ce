"""Idempotency-Key on POST: performed once, replayed, refused for another body, per caller."""

import re
import threading
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import select

from app.api import PUBLIC_PATHS
from app.auth.models import Role
from app.core.config import Settings
from app.core.db import open_session
from app.core.types import utcnow
from app.idempotency.models import IdempotencyKey
from tests import factories
from tests.conftest import RoleClient
from tests.factories import API
from tests.webhooks.helpers import dispatch_once


def _kept_keys(engine: Engine) -> list[str]:
    with open_session(engine, write=False) as session:
        return list(session.exec(select(IdempotencyKey.key)).all())


def _count(client: TestClient, path: str) -> int:
    return len(client.get(f"{API}{path}", params={"limit": 200}).json()["items"])


def test_a_retried_post_is_performed_once_and_answered_the_same(client: TestClient) -> None:
    stakeholder = factories.stakeholder(client)
    body = {"title": "SSO for Acme", "stakeholder_id": stakeholder["id"]}
    headers = {"Idempotency-Key": "crm-sync-8842"}

    first = client.post(f"{API}/requests", json=body, headers=headers)
    again = client.post(f"{API}/requests", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count(client, "/requests") == 1
    created_events = client.get(f"{API}/events", params={"type": "request.created"}).json()
    assert len(created_events["items"]) == 1


def test_the_same_key_with_a_different_body_is_refused(client: TestClient) -> None:
    stakeholder = factories.stakeholder(client)
    headers = {"Idempotency-Key": "k-1"}
    client.post(
        f"{API}/requests", json={"title": "A", "stakeholder_id": stakeholder["id"]}, headers=headers
    )

    other_body = client.post(
        f"{API}/requests", json={"title": "B", "stakeholder_id": stakeholder["id"]}, headers=headers
    )
    other_route = client.post(f"{API}/needs", json={"statement": "A"}, headers=headers)

    for refused in (other_body, other_route):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert _count(client, "/requests") == 1
    assert _count(client, "/needs") == 0


def test_keys_belong_to_their_caller(client_as: RoleClient) -> None:
    manager, admin = client_as(Role.manager), client_as(Role.admin)
    headers = {"Idempotency-Key": "shared-looking-key"}

    by_manager = manager.post(f"{API}/needs", json={"statement": "One"}, headers=headers)
    by_admin = admin.post(f"{API}/needs", json={"statement": "Two"}, headers=headers)

    assert by_manager.status_code == by_admin.status_code == 201
    assert by_manager.json()["id"] != by_admin.json()["id"]


def test_a_failed_post_keeps_no_key_and_can_be_retried(client: TestClient) -> None:
    headers = {"Idempotency-Key": "retry-after-fix"}
    missing = client.post(
        f"{API}/requests", json={"title": "A", "stakeholder_id": 999_999}, headers=headers
    )
    stakeholder = factories.stakeholder(client)
    fixed_but_same_key = client.post(
        f"{API}/requests",
        json={"title": "A", "stakeholder_id": stakeholder["id"]},
        headers=headers,
    )

    assert missing.status_code == 422
    assert fixed_but_same_key.status_code == 201


def test_a_refused_post_keeps_no_key(client_as: RoleClient, engine: Engine) -> None:
    headers = {"Idempotency-Key": "viewer-key"}
    refused = client_as(Role.viewer).post(f"{API}/needs", json={"statement": "X"}, headers=headers)

    assert refused.status_code == 403
    assert _kept_keys(engine) == []


@pytest.mark.parametrize("key", ["", " padded ", "x" * 256, "tab\tinside", "ünicode"])
def test_a_malformed_key_is_refused(client: TestClient, key: str) -> None:
    response = client.post(
        f"{API}/needs", json={"statement": "X"}, headers={"Idempotency-Key": key.encode()}
    )

    assert response.status_code == 422
    assert _count(client, "/needs") == 0


def test_a_concurrent_duplicate_gets_409_and_the_work_is_done_once(
    client: TestClient, engine: Engine, backend: str
) -> None:
    stakeholder = factories.stakeholder(client)
    body = {"title": "Raced", "stakeholder_id": stakeholder["id"]}
    headers = {"Idempotency-Key": "raced-key"}
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def send() -> None:
        barrier.wait()
        statuses.append(client.post(f"{API}/requests", json=body, headers=headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    assert _count(client, "/requests") == 1
    # Once the first has answered, retries replay it.
    assert client.post(f"{API}/requests", json=body, headers=headers).status_code == 201


def test_a_key_is_kept_a_day_and_may_be_reused_after_it_expires(
    client: TestClient, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "daily-report"}
    first = client.post(f"{API}/needs", json={"statement": "Day one"}, headers=headers)
    with open_session(engine, write=True) as session:
        kept = session.exec(IdempotencyKey.__table__.select()).one()  # type: ignore[attr-defined]
        assert kept.expires_at - kept.created_at >= timedelta(hours=24)
        session.execute(update(IdempotencyKey).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()

    next_day = client.post(f"{API}/needs", json={"statement": "Day two"}, headers=headers)

    assert next_day.status_code == 201
    assert next_day.json()["id"] != first.json()["id"]


def test_a_credential_shown_once_is_not_replayed_nor_kept(
    client: TestClient, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "new-crm-token"}
    body = {"name": "CRM sync", "role": "contributor"}

    first = client.post(f"{API}/service-tokens", json=body, headers=headers)
    again = client.post(f"{API}/service-tokens", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["token"] != first.json()["token"]
    assert "shown once" in again.json()["token"]
    with open_session(engine, write=False) as session:
        stored = session.exec(select(IdempotencyKey.response_body)).one()
    assert first.json()["token"].encode() not in (stored or b"")


def test_a_post_whose_route_ignores_the_body_is_replayed_all_the_same(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    # Nothing listens on port 9: the one attempt allowed fails.
    hook = client.post(f"{API}/webhooks", json={"url": "http://127.0.0.1:9/hook"}).json()
    factories.stakeholder(client)
    dispatch_once(engine, settings.model_copy(update={"webhook_max_attempts": 1}))
    [failed] = client.get(f"{API}/webhooks/{hook['id']}/deliveries").json()["items"]
    retry = f"{API}/webhooks/{hook['id']}/deliveries/{failed['id']}/retry"
    headers = {"Idempotency-Key": "retry-delivery-7"}

    first = client.post(retry, json={}, headers=headers)
    again = client.post(retry, json={}, headers=headers)

    assert first.status_code == again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"


def _post_paths(application: FastAPI) -> list[str]:
    return [
        context.path
        for context in iter_route_contexts(application.routes)
        if "POST" in (getattr(context, "methods", None) or ())
        and context.path.startswith("/api/")  # not pages: /unsubscribe is idempotent itself
        and context.path not in PUBLIC_PATHS
    ]


def test_every_post_of_the_api_reads_the_idempotency_key(app: FastAPI, client: TestClient) -> None:
    """The key is a dependency of each POST route: a malformed one is refused on every one,
    so none was left without it."""
    paths = _post_paths(app)
    assert len(paths) >= 12
    unchecked = []
    for path in paths:
        # Id 0 is invalid: no route loads a row (a 404) before every check has run.
        url = re.sub(r"\{[^}]+\}", "0", path)
        response = client.post(url, json={}, headers={"Idempotency-Key": " padded"})
        locations = [error.get("loc") for error in response.json().get("errors", [])]
        if response.status_code != 422 or ["header", "Idempotency-Key"] not in locations:
            unchecked.append(f"{path}: {response.status_code} {locations}")
    assert unchecked == []
