"""A broken reference or half an external reference is refused, and the write changes nothing."""

import pytest

from tests import factories
from tests.core.helpers import (
    API,
    assert_problem,
    assert_validation_problem,
    nothing_changes,
    stored,
    upsert_url,
    valid_body,
)

MAX_ID = 2**53 - 1


# --- the external reference in the path ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        pytest.param(upsert_url(source_system="%20"), "source_system", id="blank-source-system"),
        pytest.param(upsert_url(external_id="%20%20"), "external_id", id="blank-external-id"),
        pytest.param(upsert_url(source_system="a%00b"), "source_system", id="nul-source-system"),
        pytest.param(upsert_url(external_id="a%00b"), "external_id", id="nul-external-id"),
        pytest.param(upsert_url(source_system="x" * 101), "source_system", id="long-system"),
        pytest.param(upsert_url(external_id="x" * 201), "external_id", id="long-external-id"),
    ],
)
def test_upsert_with_a_bad_reference_in_the_path_creates_nothing(client, url, loc):
    body = valid_body(client, "requests")

    with nothing_changes(client):
        assert_validation_problem(client.put(url, json=body), ["path", loc])


# --- the external reference pair --------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        {"source_system": "zendesk"},
        {"external_id": "4711"},
        {"source_system": "zendesk", "external_id": None},
        {"source_system": None, "external_id": "4711"},
    ],
    ids=["system-only", "id-only", "id-null", "system-null"],
)
def test_post_with_half_an_external_reference_creates_nothing(client, reference):
    body = valid_body(client, "requests") | reference

    with nothing_changes(client):
        assert_validation_problem(client.post(f"{API}/requests", json=body), ["body"])


@pytest.mark.parametrize(
    ("reference_before", "change"),
    [
        ({}, {"source_system": "zendesk"}),
        ({}, {"external_id": "4711"}),
        ({"source_system": "zendesk", "external_id": "4711"}, {"external_id": None}),
        ({"source_system": "zendesk", "external_id": "4711"}, {"source_system": None}),
    ],
    ids=["set-system-only", "set-id-only", "clear-id-only", "clear-system-only"],
)
def test_patch_leaving_half_an_external_reference_changes_nothing(client, reference_before, change):
    body = valid_body(client, "requests") | reference_before
    resource = factories.created(client, "/requests", body)

    with nothing_changes(client):
        response = client.patch(f"{API}/requests/{resource['id']}", json=change)
        assert_problem(response, 422)
        assert response.json()["errors"], response.json()


# --- broken references ------------------------------------------------------------------


def deleted_id(client, collection):
    """The id of a resource that existed once and has been deleted."""
    resource = stored(client, collection)
    response = client.delete(f"{API}/{collection}/{resource['id']}")
    assert response.status_code == 204, response.text
    return resource["id"]


REFERENCES = [("stakeholder_id", "stakeholders"), ("need_id", "needs")]
MISSING = [
    pytest.param(lambda client, collection: deleted_id(client, collection), id="deleted"),
    pytest.param(lambda client, collection: MAX_ID, id="never-issued"),
]


@pytest.mark.parametrize("missing_id", MISSING)
@pytest.mark.parametrize(("field", "target"), REFERENCES)
@pytest.mark.parametrize("write", ["post", "patch", "put-create", "put-update"])
def test_a_broken_reference_is_a_422_and_changes_nothing(client, write, field, target, missing_id):
    body = valid_body(client, "requests")
    broken = {field: missing_id(client, target)}
    if write == "patch":
        resource = factories.created(client, "/requests", body)
    if write == "put-update":
        assert client.put(upsert_url(), json=body).status_code == 201

    with nothing_changes(client):
        if write == "post":
            response = client.post(f"{API}/requests", json=body | broken)
        elif write == "patch":
            response = client.patch(f"{API}/requests/{resource['id']}", json=broken)
        else:
            response = client.put(upsert_url(), json=body | broken)
        assert_validation_problem(response, ["body", field])
