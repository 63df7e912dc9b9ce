"""The audit log records every write: who, when, what, before and after."""

from app.auth.models import Role
from tests import factories
from tests.conftest import TEST_PASSWORD

AUDIT = "/api/v1/audit"


def entries(client, **params):
    response = client.get(AUDIT, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_create_update_delete_are_recorded_with_actor_and_values(client, users):
    need = factories.need(client, statement="Before")
    client.patch(f"/api/v1/needs/{need['id']}", json={"statement": "After"})
    client.delete(f"/api/v1/needs/{need['id']}")

    log = entries(client, entity="need", entity_id=need["id"])

    assert [e["action"] for e in log] == ["delete", "update", "create"]
    delete, update, create = log
    assert create["before"] is None
    assert create["after"]["statement"] == "Before"
    assert update["before"]["statement"] == "Before"
    assert update["after"]["statement"] == "After"
    assert update["after"]["version"] == 2
    assert delete["before"]["statement"] == "After"
    assert delete["after"] is None
    admin = users[Role.admin]
    assert all(e["actor_type"] == "user" and e["actor_id"] == admin.id for e in log)
    assert all(e["actor_label"] == admin.email for e in log)


def test_an_updates_before_is_the_version_it_replaced(client):
    made = {
        "stakeholder": factories.stakeholder(client),
        "need": factories.need(client),
        "request": factories.request(client),
        "roadmap_item": factories.roadmap_item(client),
    }
    changes = {
        "stakeholder": ("stakeholders", {"organization": "Acme"}, {"organization": "Globex"}),
        "need": ("needs", {"theme": "Security"}, {"theme": "Growth"}),
        "request": ("requests", {"urgency": "high"}, {"urgency": "low"}),
        "roadmap_item": ("roadmap-items", {"horizon": "now"}, {"horizon": "next"}),
    }
    for entity, (collection, first, second) in changes.items():
        for change in (first, second):
            response = client.patch(f"/api/v1/{collection}/{made[entity]['id']}", json=change)
            assert response.status_code == 200, response.text

        updates = entries(client, entity=entity, entity_id=made[entity]["id"], action="update")

        assert [(u["before"]["version"], u["after"]["version"]) for u in updates] == [
            (2, 3),
            (1, 2),
        ], entity


def test_every_domain_entity_is_audited(client):
    request = factories.request(client)
    roadmap_item = factories.roadmap_item(client)

    recorded = {(e["entity"], e["entity_id"]) for e in entries(client, limit=200)}

    assert ("request", request["id"]) in recorded
    assert ("stakeholder", request["stakeholder_id"]) in recorded
    assert ("roadmap_item", roadmap_item["id"]) in recorded


def test_users_and_tokens_are_audited_without_secrets(client):
    user = client.post(
        "/api/v1/users",
        json={"email": "a@example.com", "display_name": "A", "password": TEST_PASSWORD},
    ).json()
    token = client.post("/api/v1/service-tokens", json={"name": "crm", "role": "viewer"}).json()
    client.delete(f"/api/v1/service-tokens/{token['id']}")

    user_log = entries(client, entity="user", entity_id=user["id"])
    token_log = entries(client, entity="service_token", entity_id=token["id"])

    assert [e["action"] for e in user_log] == ["create"]
    assert [e["action"] for e in token_log] == ["update", "create"]
    assert token_log[0]["after"]["revoked_at"] is not None
    text = str(user_log + token_log)
    assert TEST_PASSWORD not in text
    assert "password_hash" not in text
    assert "token_hash" not in text
    assert token["token"] not in text


def test_a_failed_write_leaves_no_audit_entry(client):
    stakeholder = factories.stakeholder(client, email="taken@example.com")
    before = entries(client)

    client.post("/api/v1/stakeholders", json={"name": "Dup", "email": "taken@example.com"})
    client.patch(
        f"/api/v1/stakeholders/{stakeholder['id']}",
        json={"name": "x"},
        headers={"If-Match": 'W/"9"'},
    )

    assert entries(client) == before


def test_filter_by_actor(client, client_as, users):
    factories.stakeholder(client_as(Role.contributor))
    factories.need(client)

    by_contributor = entries(client, actor=str(users[Role.contributor].id))
    by_admin = entries(client, actor=f"user:{users[Role.admin].id}")

    assert [e["entity"] for e in by_contributor] == ["stakeholder"]
    assert [e["entity"] for e in by_admin] == ["need"]


def test_service_token_actors(client, anonymous):
    token = client.post(
        "/api/v1/service-tokens", json={"name": "hubspot", "role": "contributor"}
    ).json()
    anonymous.post(
        "/api/v1/stakeholders",
        json={"name": "From CRM"},
        headers={"Authorization": f"Bearer {token['token']}"},
    )

    (entry,) = entries(client, actor=f"service_token:{token['id']}")

    assert (entry["actor_type"], entry["actor_label"]) == ("service_token", "hubspot")


def test_audit_is_for_managers_and_admins(client_as):
    assert client_as(Role.manager).get(AUDIT).status_code == 200
    assert client_as(Role.contributor).get(AUDIT).status_code == 403
    assert client_as(Role.viewer).get(AUDIT).status_code == 403


def test_audit_pages_like_every_list(client):
    for _ in range(5):
        factories.need(client)

    first = client.get(AUDIT, params={"limit": 3}).json()
    second = client.get(AUDIT, params={"limit": 3, "cursor": first["next_cursor"]}).json()

    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert second["next_cursor"] is None
