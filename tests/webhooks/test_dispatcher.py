"""The dispatcher against a real receiver on 127.0.0.1: signed, retried, timed out, in order."""

import ipaddress
import time
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from standardwebhooks import Webhook as StandardWebhook

from app.auth.models import Role, User
from app.core.config import Settings
from app.main import create_app
from app.webhooks.addresses import CheckedTransport
from tests import factories
from tests.factories import API
from tests.webhooks.helpers import (
    RunDispatcher,
    an_address_of_this_host,
    deliveries,
    oldest_status,
    resolving,
    store,
    subscribe,
)
from tests.webhooks.receiver import Receiver


def test_each_event_arrives_signed_the_standard_webhooks_way(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    hook = subscribe(client, receiver.url)
    stakeholder = factories.stakeholder(client)

    run_dispatcher(lambda: len(receiver.received) == 1)

    call = receiver.received[0]
    # The reference library, with the secret we were shown, accepts the signature.
    payload = StandardWebhook(hook["secret"]).verify(call.body, call.headers)
    feed = client.get(f"{API}/events").json()["items"]
    assert payload == feed[0]
    assert payload["type"] == "stakeholder.created"
    assert payload["data"]["id"] == stakeholder["id"]
    assert call.headers["webhook-id"] == f"evt_{feed[0]['id']}"
    [delivery] = deliveries(client, hook)
    assert delivery["status"] == "succeeded"
    assert delivery["event_id"] == feed[0]["id"]
    assert [a["response_status"] for a in delivery["attempts"]] == [200]


def test_only_the_subscribed_event_types_are_sent(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    subscribe(client, receiver.url, events=["stakeholder.updated", "need.*"])
    stakeholder = factories.stakeholder(client)
    factories.roadmap_item(client)
    client.patch(f"{API}/stakeholders/{stakeholder['id']}", json={"organization": "Acme"})
    factories.need(client)

    run_dispatcher(lambda: len(receiver.received) == 2)

    assert [r.event["type"] for r in receiver.received] == ["stakeholder.updated", "need.created"]


def test_a_failing_receiver_is_retried_with_growing_delays_until_it_recovers(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    hook = subscribe(client, receiver.url)
    receiver.answers(500, 503)
    factories.stakeholder(client)

    run_dispatcher(lambda: oldest_status(client, hook) == "succeeded")

    [delivery] = deliveries(client, hook)
    assert [a["response_status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["attempt_count"] == 3
    # The same message each time: a receiver can drop a repeat by its webhook-id.
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    first, second, third = (r.at for r in receiver.received)
    # Backoff: base 0.05 s then 4x, each scaled by 50-100 % jitter.
    assert second - first >= 0.025
    assert third - second >= 0.1


def test_a_hanging_receiver_times_out_and_the_delivery_fails_after_the_last_attempt(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    hook = subscribe(client, receiver.url)
    receiver.answers(("hang", 3), ("hang", 3), ("hang", 3))
    factories.stakeholder(client)

    run_dispatcher(lambda: oldest_status(client, hook) == "failed")

    [delivery] = deliveries(client, hook)
    assert len(delivery["attempts"]) == 3
    for attempt in delivery["attempts"]:
        assert attempt["response_status"] is None
        assert attempt["error"] == "no complete answer within 0.4 s"
        assert attempt["duration_ms"] < 1500
    assert delivery["next_attempt_at"] is None
    assert deliveries(client, hook, status="failed") == [delivery]


def test_a_failed_delivery_can_be_retried_by_hand(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    hook = subscribe(client, receiver.url)
    receiver.answers(500, 500, 500)
    factories.stakeholder(client)
    run_dispatcher(lambda: oldest_status(client, hook) == "failed")
    [failed] = deliveries(client, hook)
    retry = f"{API}/webhooks/{hook['id']}/deliveries/{failed['id']}/retry"

    answer = client.post(retry)
    run_dispatcher(lambda: oldest_status(client, hook) == "succeeded")

    assert answer.status_code == 202
    assert answer.json()["status"] == "pending"
    [delivered] = deliveries(client, hook)
    assert [a["response_status"] for a in delivered["attempts"]] == [500, 500, 500, 200]
    assert client.post(retry).status_code == 409  # already delivered
    other = subscribe(client, receiver.url)
    wrong_hook = f"{API}/webhooks/{other['id']}/deliveries/{failed['id']}/retry"
    assert client.post(wrong_hook).status_code == 404


def test_events_reach_a_subscription_in_order_even_while_it_fails(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    subscribe(client, receiver.url)
    receiver.answers(500, 500)
    for _ in range(4):
        factories.stakeholder(client)
    event_ids = [e["id"] for e in client.get(f"{API}/events").json()["items"]]

    run_dispatcher(lambda: len(receiver.received) == 6)

    # The first event is tried until it succeeds before the second is sent at all.
    assert receiver.event_ids() == [event_ids[0]] * 3 + event_ids[1:]


def test_a_redirect_is_not_followed(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    hook = subscribe(client, receiver.url)
    receiver.answers(("redirect", "http://169.254.169.254/"))
    factories.stakeholder(client)

    run_dispatcher(lambda: oldest_status(client, hook) == "succeeded")

    statuses = [a["response_status"] for a in deliveries(client, hook)[0]["attempts"]]
    assert statuses == [302, 200]


def test_a_refused_address_is_checked_again_at_delivery(
    app: FastAPI, client: TestClient, run_dispatcher: RunDispatcher
) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(
        update={"webhook_allowed_networks": [ipaddress.ip_network("169.254.0.0/16")]}
    )
    try:
        hook = subscribe(client, "http://169.254.169.254/latest/meta-data/")
    finally:
        app.state.settings = settings  # the allowance is withdrawn before delivery
    factories.stakeholder(client)

    run_dispatcher(lambda: oldest_status(client, hook) == "failed")

    for attempt in deliveries(client, hook)[0]["attempts"]:
        assert attempt["error"].startswith("refused: 169.254.169.254 is in 169.254.0.0/16")


@pytest.mark.parametrize(
    ("stored", "error"),
    [
        ("http://0177.0.0.1:{port}/hooks", "refused: the URL cannot be parsed: "),
        ("http://1.2.3.256/hooks", "refused: the URL cannot be parsed: "),
        ("http://127.1:{port}/hooks", "refused: the host 127.1 looks like an IPv4 address"),
    ],
)
def test_a_stored_url_the_client_cannot_use_fails_each_attempt_and_the_queue_moves_on(
    client: TestClient,
    engine: Engine,
    receiver: Receiver,
    run_dispatcher: RunDispatcher,
    stored: str,
    error: str,
) -> None:
    # A row from before URLs were checked this way: it must fail visibly, not block.
    broken = subscribe(client, receiver.url + "/broken")
    subscribe(client, receiver.url + "/healthy")
    store(engine, broken, url=stored.format(port=urlsplit(receiver.url).port))
    for _ in range(2):
        factories.stakeholder(client)

    run_dispatcher(
        lambda: (
            [d["status"] for d in deliveries(client, broken)] == ["failed", "failed"]
            and len(receiver.event_ids("/hooks/healthy")) == 2
        )
    )

    for delivery in deliveries(client, broken):
        assert delivery["attempt_count"] == 3
        for attempt in delivery["attempts"]:
            assert attempt["response_status"] is None
            assert attempt["error"].startswith(error), attempt["error"]
    assert receiver.event_ids("/hooks/broken") == []


def test_a_stored_secret_that_cannot_sign_fails_each_attempt_and_the_queue_moves_on(
    client: TestClient, engine: Engine, receiver: Receiver, run_dispatcher: RunDispatcher
) -> None:
    hook = subscribe(client, receiver.url)
    store(engine, hook, secret="whsec_not*base64*at*all")
    for _ in range(2):
        factories.stakeholder(client)

    run_dispatcher(lambda: [d["status"] for d in deliveries(client, hook)] == ["failed", "failed"])

    for delivery in deliveries(client, hook):
        for attempt in delivery["attempts"]:
            assert attempt["error"] == (
                "the subscription's signing secret cannot be used; give it a new one"
            )
            assert "not*base64" not in attempt["error"]
    assert receiver.received == []


def test_any_unexpected_error_is_a_failed_attempt_that_shows_no_secret(
    client: TestClient,
    receiver: Receiver,
    run_dispatcher: RunDispatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = subscribe(client, receiver.url)
    secret = hook["secret"]

    async def broken(self: CheckedTransport, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"internal state: {secret} {secret.removeprefix('whsec_')} " * 50)

    monkeypatch.setattr(CheckedTransport, "handle_async_request", broken)
    factories.stakeholder(client)

    run_dispatcher(lambda: oldest_status(client, hook) == "failed")

    [delivery] = deliveries(client, hook)
    assert delivery["attempt_count"] == 3
    for attempt in delivery["attempts"]:
        assert "RuntimeError" in attempt["error"]
        assert secret.removeprefix("whsec_") not in attempt["error"]
        assert len(attempt["error"]) <= 500
    assert receiver.received == []


def _in_production(settings: Settings, *allowed: str) -> Settings:
    networks = [ipaddress.ip_network(n) for n in allowed]
    return settings.model_copy(
        update={"environment": "production", "webhook_allowed_networks": networks}
    )


def test_in_production_deliveries_to_loopback_are_refused(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher, fast_settings: Settings
) -> None:
    hook = subscribe(client, receiver.url)  # accepted outside production
    factories.stakeholder(client)

    run_dispatcher(lambda: oldest_status(client, hook) == "failed", _in_production(fast_settings))

    for attempt in deliveries(client, hook)[0]["attempts"]:
        assert attempt["error"] == "refused: 127.0.0.1 is in 127.0.0.0/8, loopback"
    assert receiver.received == []


def test_in_production_a_name_that_resolves_to_this_host_is_refused(
    client: TestClient,
    receiver: Receiver,
    run_dispatcher: RunDispatcher,
    fast_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address = an_address_of_this_host()
    resolving(monkeypatch, {"crm.invalid": address})
    hook = subscribe(client, f"http://crm.invalid:{urlsplit(receiver.url).port}/hooks")
    factories.stakeholder(client)

    run_dispatcher(lambda: oldest_status(client, hook) == "failed", _in_production(fast_settings))

    for attempt in deliveries(client, hook)[0]["attempts"]:
        assert attempt["error"] == (
            f"refused: crm.invalid resolves to {address}, which is an address of this host"
        )


def test_in_production_an_allowed_network_lets_deliveries_reach_this_host(
    client: TestClient, receiver: Receiver, run_dispatcher: RunDispatcher, fast_settings: Settings
) -> None:
    hook = subscribe(client, receiver.url)
    factories.stakeholder(client)

    run_dispatcher(
        lambda: oldest_status(client, hook) == "succeeded",
        _in_production(fast_settings, "127.0.0.0/8"),
    )

    assert len(receiver.received) == 1


def test_the_server_runs_the_dispatcher_itself_and_stops_it_on_shutdown(
    fast_settings: Settings, users: dict[Role, User], receiver: Receiver, client: TestClient
) -> None:
    # `client` is unused but for its teardown, which empties the tables afterwards.
    # Leaving the `with` block runs the shutdown: it returns only once the dispatcher stopped.
    server = create_app(fast_settings.model_copy(update={"webhook_dispatcher_enabled": True}))
    token = server.state.token_issuer.issue(f"user:{users[Role.admin].id}")

    with TestClient(server, headers={"Authorization": f"Bearer {token}"}) as running:
        subscribe(running, receiver.url)
        factories.stakeholder(running)
        deadline = time.monotonic() + 10
        while not receiver.received:
            assert time.monotonic() < deadline, "the server's dispatcher sent nothing"
            time.sleep(0.02)

    assert receiver.received[0].event["type"] == "stakeholder.created"
