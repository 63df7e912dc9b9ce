"""The OpenAPI document integrations generate clients from."""

import json
import os
from pathlib import Path

from openapi_spec_validator import validate


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


def test_the_document_is_valid_openapi(client):
    validate(client.get("/openapi.json").json())


def test_every_error_answer_is_declared_as_problem_json(client):
    document = client.get("/openapi.json").json()
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"] == {"application/problem+json": problem}, where
            assert "503" in responses, where
            if "security" in operation:
                assert {"401", "403"} <= responses.keys(), where
            if "{" in path:
                assert "404" in responses, where
            headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            if method == "post" and "security" in operation:
                assert "Idempotency-Key" in headers, where
            else:
                assert "Idempotency-Key" not in headers, where


def test_the_main_bodies_carry_examples(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    for name in (
        "StakeholderCreate",
        "RequestCreate",
        "NeedCreate",
        "RoadmapItemCreate",
        "DecisionCreate",
        "WebhookCreate",
    ):
        assert schemas[name]["examples"], name


SNAPSHOT = Path(__file__).with_name("openapi_operations.json")


def _operations(document):
    """What a generated client depends on, per operation, in a stable order."""
    operations = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            parameters = operation.get("parameters", [])
            operations[f"{method.upper()} {path}"] = {
                "operationId": operation["operationId"],
                "tags": operation.get("tags", []),
                "parameters": sorted(f"{p['in']}:{p['name']}" for p in parameters),
                "body": {kind: c.get("schema", {}) for kind, c in body.items()},
                "responses": {
                    status: r.get("content", {}).get("application/json", {}).get("schema", {})
                    for status, r in sorted(operation["responses"].items())
                },
            }
    return dict(sorted(operations.items()))


def test_routes_change_only_on_purpose(client):
    """A route added, removed or changed must show in this snapshot's diff.

    After a deliberate change: REQTRACK_UPDATE_OPENAPI_SNAPSHOT=1 make test, then review.
    """
    current = _operations(client.get("/openapi.json").json())
    if os.environ.get("REQTRACK_UPDATE_OPENAPI_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())
