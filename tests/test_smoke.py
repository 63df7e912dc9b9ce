from tests import factories


def test_stakeholder_round_trip(client):
    made = factories.stakeholder(client, name="Ann")
    got = client.get(f"/api/v1/stakeholders/{made['id']}")
    assert got.status_code == 200
    assert got.json()["name"] == "Ann"
