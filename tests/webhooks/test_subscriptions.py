"""Webhook subscriptions: admin CRUD, a write-only secret, and refused destinations."""

import base64
import ipaddress

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.webhooks.signing import generate_secret
from tests.factories import API

HOOK = {"url": "https://crm.example.com/hooks/reqtrack", "events": ["request.*"]}


def test_creating_a_webhook_shows_a_generated_secret_once(client: TestClient) -> None:
    response = client.post(f"{API}/webhooks", json=HOOK)

    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert created["active"] is True
    assert response.headers["location"].endswith(f"/webhooks/{created['id']}")
    shown = client.get(f"{API}/webhooks/{created['id']}").json()
    listed = client.get(f"{API}/webhooks").json()["items"]
    assert "secret" not in shown
    assert all("secret" not in w for w in listed)
    audit = client.get(f"{API}/audit", params={"entity": "webhook"}).json()["items"]
    assert audit
    assert created["secret"] not in str(audit)


def test_a_given_secret_is_kept_and_a_malformed_one_refused(client: TestClient) -> None:
    secret = generate_secret()
    assert client.post(f"{API}/webhooks", json=HOOK | {"secret": secret}).json()["secret"] == secret

    for bad in ("not-a-secret", "whsec_" + base64.b64encode(b"short").decode(), "whsec_!!!!"):
        response = client.post(f"{API}/webhooks", json=HOOK | {"secret": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"] == ["body", "secret"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://crm.example.com/hooks",
        "file:///etc/passwd",
        "https://user:pass@crm.example.com/hooks",
        "not a url",
        "https:///no-host",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hooks",
        "http://[::ffff:169.254.169.254]/hooks",
        "http://0.0.0.0:8000/hooks",
        "http://crm..example.com/hooks",
        "http://" + "a" * 64 + ".example.com/hooks",
    ],
)
def test_urls_that_are_not_http_or_point_at_link_local_or_metadata_are_refused(
    client: TestClient, url: str
) -> None:
    response = client.post(f"{API}/webhooks", json=HOOK | {"url": url})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{API}/webhooks").json()["items"] == []


def test_an_allow_list_setting_lets_a_refused_network_through(
    app: FastAPI, client: TestClient
) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(
        update={"webhook_allowed_networks": [ipaddress.ip_network("169.254.0.0/16")]}
    )
    try:
        response = client.post(f"{API}/webhooks", json=HOOK | {"url": "http://169.254.10.1/hooks"})
    finally:
        app.state.settings = settings

    assert response.status_code == 201, response.text


def test_an_event_filter_must_name_event_types(client: TestClient) -> None:
    for events in ([], ["request"], ["Request.Created"], ["request.created; drop"], ["**"]):
        response = client.post(f"{API}/webhooks", json=HOOK | {"events": events})
        assert response.status_code == 422, events
    for events in (["*"], ["decision.recorded", "need.*"]):
        assert client.post(f"{API}/webhooks", json=HOOK | {"events": events}).status_code == 201


def test_update_and_delete_follow_the_etag_rules(client: TestClient) -> None:
    hook = client.post(f"{API}/webhooks", json=HOOK).json()
    path = f"{API}/webhooks/{hook['id']}"

    stale = client.patch(path, json={"active": False}, headers={"If-Match": 'W/"99"'})
    paused = client.patch(path, json={"active": False, "events": ["*"]})
    null_url = client.patch(path, json={"url": None})
    refused = client.patch(path, json={"url": "http://169.254.169.254/"})

    assert stale.status_code == 412
    assert paused.status_code == 200
    assert paused.json()["active"] is False
    assert paused.json()["events"] == ["*"]
    assert "secret" not in paused.json()
    assert null_url.status_code == 422
    assert refused.status_code == 422
    assert client.get(path).json()["url"] == HOOK["url"]
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/deliveries").status_code == 404
