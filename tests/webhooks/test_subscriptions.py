"""Webhook subscriptions: admin CRUD, a write-only secret, and refused destinations."""

import base64
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from app.webhooks.models import Webhook
from app.webhooks.signing import generate_secret
from tests.auth.helpers import stored_value
from tests.factories import API
from tests.webhooks.helpers import an_address_of_this_host

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


def test_a_given_secret_is_kept_never_shown_and_a_malformed_one_refused(
    client: TestClient, engine: Engine
) -> None:
    secret = generate_secret()
    response = client.post(f"{API}/webhooks", json=HOOK | {"secret": secret})

    assert response.status_code == 201, response.text
    assert response.json()["secret"] is None
    assert secret not in response.text
    assert stored_value(engine, "webhook", "secret", response.json()["id"]) == secret

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


@pytest.mark.parametrize(
    ("url", "host"),
    [
        # Resolvers read each of these as an address; they must be written the one plain way.
        ("http://0177.0.0.1:8000/hooks", "0177.0.0.1"),
        ("http://1.2.3.256/hooks", "1.2.3.256"),
        ("http://127.1:8000/hooks", "127.1"),
        ("http://0x7f.0.0.1/hooks", "0x7f.0.0.1"),
        ("http://2130706433/hooks", "2130706433"),
        ("http://10.1.2/hooks", "10.1.2"),
        ("http://1.2.3.4.5/hooks", "1.2.3.4.5"),
        ("http://93.184.216.34./hooks", "93.184.216.34."),
        ("http://crm.example.0x10/hooks", "crm.example.0x10"),
        ("http://%31%32%37.0.0.1/hooks", "%31%32%37.0.0.1"),
        ("http://[fd00::1%25eth0]/hooks", "fd00::1%25eth0"),
        ("http://crm.example.com:99999/hooks", "99999"),
        ("http://crm.exa$mple.com/hooks", "crm.exa$mple.com"),
    ],
)
def test_urls_an_http_client_cannot_use_or_reads_differently_are_refused(
    client: TestClient, url: str, host: str
) -> None:
    created = client.post(f"{API}/webhooks", json=HOOK | {"url": url})
    hook = client.post(f"{API}/webhooks", json=HOOK).json()
    changed = client.patch(f"{API}/webhooks/{hook['id']}", json={"url": url})

    for response in (created, changed):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["loc"] == ["body", "url"]
        assert host in error["msg"]
        assert not error["msg"].lower().startswith("value error")
    assert [w["url"] for w in client.get(f"{API}/webhooks").json()["items"]] == [HOOK["url"]]


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hooks",
        "https://1.2.3.4.nip.example/hooks",
        "https://crm.example.com./hooks",
        "https://CRM.Example.com:8443/hooks?token=abc",
        "http://[2001:db8::1]:8080/hooks",
        "https://xn--bcher-kva.example/hooks",
        "http://crm_internal.example/hooks",
        "http://127.0.0.1:8000/hooks",  # loopback is fine outside production
    ],
)
def test_plain_addresses_and_names_are_accepted(client: TestClient, url: str) -> None:
    response = client.post(f"{API}/webhooks", json=HOOK | {"url": url})

    assert response.status_code == 201, response.text
    assert response.json()["url"] == url


@pytest.fixture
def production(app: FastAPI) -> Iterator[None]:
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"environment": "production"})
    yield
    app.state.settings = settings


def _refused_destination(response: Any) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "url"]
    message: str = error["msg"]
    assert "REQTRACK_WEBHOOK_ALLOWED_NETWORKS" in message
    return message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hooks", "127.0.0.1 is in 127.0.0.0/8, loopback"),
        ("http://127.8.9.10/hooks", "127.8.9.10 is in 127.0.0.0/8, loopback"),
        ("http://[::1]:8000/hooks", "::1 is in ::1/128, loopback"),
        ("http://[::ffff:127.0.0.1]/hooks", "127.0.0.1 is in 127.0.0.0/8, loopback"),
        ("http://localhost:8000/hooks", "localhost resolves to 127.0.0.1"),
        ("http://admin.localhost/hooks", "admin.localhost resolves to 127.0.0.1"),
    ],
)
def test_in_production_loopback_is_refused(
    client: TestClient, production: None, url: str, reason: str
) -> None:
    created = client.post(f"{API}/webhooks", json=HOOK | {"url": url})
    hook = client.post(f"{API}/webhooks", json=HOOK).json()
    changed = client.patch(f"{API}/webhooks/{hook['id']}", json={"url": url})

    assert reason in _refused_destination(created)
    assert reason in _refused_destination(changed)
    assert client.get(f"{API}/webhooks/{hook['id']}").json()["url"] == HOOK["url"]


def test_in_production_an_address_of_this_host_is_refused(
    client: TestClient, production: None
) -> None:
    address = an_address_of_this_host()

    response = client.post(f"{API}/webhooks", json=HOOK | {"url": f"http://{address}:9000/"})

    assert f"{address} is an address of this host" in _refused_destination(response)


def test_in_production_an_allowed_network_lets_this_host_through(
    app: FastAPI, client: TestClient, production: None
) -> None:
    address = an_address_of_this_host()
    app.state.settings = app.state.settings.model_copy(
        update={
            "webhook_allowed_networks": [
                ipaddress.ip_network("127.0.0.0/8"),
                ipaddress.ip_network(address),
            ]
        }
    )

    for url in ("http://127.0.0.1:8000/hooks", "http://localhost/", f"http://{address}/"):
        response = client.post(f"{API}/webhooks", json=HOOK | {"url": url})
        assert response.status_code == 201, response.text
    refused = client.post(f"{API}/webhooks", json=HOOK | {"url": "http://[::1]/"})
    assert "::1 is in ::1/128, loopback" in _refused_destination(refused)


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


def test_a_stored_pattern_no_longer_accepted_is_still_shown(
    client: TestClient, engine: Engine
) -> None:
    # An older version took any entity.verb shape, misspelt ones included.
    created = client.post(
        f"{API}/webhooks", json={"url": "https://hooks.example.com/in", "events": ["request.*"]}
    ).json()
    with engine.begin() as connection:
        connection.execute(
            update(Webhook).where(Webhook.id == created["id"]).values(events=["requests.created"])
        )

    shown = client.get(f"{API}/webhooks/{created['id']}")
    paused = client.patch(f"{API}/webhooks/{created['id']}", json={"active": False})

    assert shown.status_code == 200, shown.text
    assert shown.json()["events"] == ["requests.created"]
    assert paused.status_code == 200, paused.text
    assert client.get(f"{API}/webhooks").status_code == 200
