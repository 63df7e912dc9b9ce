"""The OpenAPI document integrations generate clients from."""


def test_openapi_has_unique_readable_operation_ids(client):
    document = client.get("/openapi.json").json()

    operation_ids = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    ]

    assert len(operation_ids) == len(set(operation_ids))
    for expected in [
        "list_requests",
        "create_request",
        "get_request",
        "update_request",
        "delete_request",
        "upsert_external_request",
        "list_needs",
        "create_stakeholder",
        "get_roadmap_item",
    ]:
        assert expected in operation_ids


def test_docs_page_is_served(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert "swagger" in response.text.lower()
