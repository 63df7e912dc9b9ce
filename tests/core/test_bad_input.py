"""Bad input of every kind is a 4xx problem+json, and a refused write changes nothing.

Each write test reads back what the write could have touched (the collection is still
empty, the resource is still at its old version and values), so a write that is refused
after half-happening is caught too. Server exceptions propagate: a 500 fails the test.
"""

import base64
import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories

API = "/api/v1"
COLLECTIONS = ["stakeholders", "requests", "needs", "roadmap-items"]
MAX_ID = 2**53 - 1
OUT_OF_RANGE_IDS = [0, -1, 2**63, 2**64]
NUL = "a\u0000b"
JSON = "application/json"


# --- helpers ---------------------------------------------------------------------------


def assert_problem(response, status=None):
    """An RFC 9457 problem: exactly `status`, or any 4xx when none is given."""
    if status is None:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    else:
        assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str), body
        assert body[key], body
    return body


def assert_validation_problem(response, loc):
    """A 422 whose `errors` is a list of {loc, msg} that names `loc`."""
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert errors, body
    for error in errors:
        assert error.keys() == {"loc", "msg"}, error
        assert isinstance(error["loc"], list), error
        assert isinstance(error["msg"], str), error
        assert error["msg"], error
    assert loc in [error["loc"] for error in errors], errors
    return body


def listed(client, collection):
    response = client.get(f"{API}/{collection}", params={"limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@contextmanager
def nothing_changes(client, *collections):
    """The block may send anything; afterwards the collections (default: all four) are as before."""
    watched = collections or COLLECTIONS
    before = {collection: listed(client, collection) for collection in watched}
    yield
    after = {collection: listed(client, collection) for collection in watched}
    assert after == before, "a refused write changed stored data"


def valid_body(client, collection):
    """A body that POST /{collection} accepts; the resources it refers to are created first."""
    if collection == "stakeholders":
        return {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "group": "engineering",
            "organization": "Analytical Engines",
            "weight": 2.5,
        }
    if collection == "requests":
        return {
            "title": "Export the backlog to CSV",
            "description": "We need it for the board meeting.",
            "stakeholder_id": factories.stakeholder(client)["id"],
            "need_id": factories.need(client)["id"],
            "channel": "email",
            "customer": "Acme",
            "revenue_at_stake": 1200.5,
            "urgency": "high",
        }
    if collection == "needs":
        return {"statement": "Finance cannot reconcile", "description": "", "theme": "reporting"}
    assert collection == "roadmap-items"
    return {
        "title": "CSV export",
        "status": "planned",
        "horizon": "next",
        "target_date": "2026-09-30",
        "theme": "reporting",
    }


def stored(client, collection):
    """A stored resource with every field set (a request without an external reference)."""
    return factories.created(client, f"/{collection}", valid_body(client, collection))


# A PATCH body each collection accepts: the control for the non-JSON body tests.
VALID_CHANGE = {
    "stakeholders": {"name": "Renamed"},
    "requests": {"title": "Renamed"},
    "needs": {"statement": "Renamed"},
    "roadmap-items": {"title": "Renamed"},
}


def upsert_url(source_system="zendesk", external_id="4711"):
    return f"{API}/requests/external/{source_system}/{external_id}"


@dataclass(frozen=True)
class ExistingIdAs:
    """The id the field already holds, converted to another JSON type: only the type is wrong."""

    convert: Callable[[int], Any]
    label: str


def resolve(value, reference, field):
    return value.convert(reference[field]) if isinstance(value, ExistingIdAs) else value


def bad(collection, field, value, label):
    return pytest.param(collection, field, value, id=f"{collection}.{field}={label}")


# --- the table of bad field values: each is refused by POST, PATCH and (requests) PUT ----

AS_STRING = ExistingIdAs(str, "existing-id-as-string")
# Not 7.0: JSON has one number type and JSON Schema counts 7.0 as the integer 7.
AS_FLOAT = ExistingIdAs(lambda i: i + 0.5, "existing-id-plus-a-half")
AS_ARRAY = ExistingIdAs(lambda i: [i], "existing-id-in-array")
AS_OBJECT = ExistingIdAs(lambda i: {"id": i}, "existing-id-in-object")

STAKEHOLDER_BAD_VALUES = [
    # wrong JSON types
    bad("stakeholders", "name", 5, "number"),
    bad("stakeholders", "name", {"first": "Ada"}, "object"),
    bad("stakeholders", "name", ["Ada"], "array"),
    bad("stakeholders", "name", True, "true"),
    bad("stakeholders", "email", 5, "number"),
    bad("stakeholders", "group", 3, "number"),
    bad("stakeholders", "group", ["sales"], "array"),
    bad("stakeholders", "organization", {"name": "Acme"}, "object"),
    bad("stakeholders", "weight", "5", "numeric-string"),
    bad("stakeholders", "weight", "heavy", "string"),
    bad("stakeholders", "weight", True, "true"),
    bad("stakeholders", "weight", [1], "array"),
    # out of range
    bad("stakeholders", "weight", -1, "-1"),
    bad("stakeholders", "weight", -0.01, "-0.01"),
    bad("stakeholders", "weight", 10.01, "10.01"),
    bad("stakeholders", "weight", 10**400, "10**400"),
    # unknown enum values
    bad("stakeholders", "group", "wizard", "unknown"),
    bad("stakeholders", "group", "Sales", "wrong-case"),
    bad("stakeholders", "group", "", "empty"),
    # blank, and null where a value is required
    bad("stakeholders", "name", "", "empty"),
    bad("stakeholders", "name", "   ", "blank"),
    bad("stakeholders", "organization", "  ", "blank"),
    bad("stakeholders", "name", None, "null"),
    bad("stakeholders", "group", None, "null"),
    bad("stakeholders", "weight", None, "null"),
    # oversized
    bad("stakeholders", "name", "x" * 201, "201-chars"),
    bad("stakeholders", "organization", "x" * 201, "201-chars"),
    bad("stakeholders", "email", "a" * 310 + "@example.com", "322-chars"),
    # NUL bytes
    bad("stakeholders", "name", NUL, "nul"),
    bad("stakeholders", "organization", NUL, "nul"),
    bad("stakeholders", "email", "a\u0000b@example.com", "nul"),
    # invalid e-mail
    bad("stakeholders", "email", "not-an-email", "no-at"),
    bad("stakeholders", "email", "ada@", "no-domain"),
    bad("stakeholders", "email", "@example.com", "no-local-part"),
    bad("stakeholders", "email", "ada lovelace@example.com", "space"),
    bad("stakeholders", "email", "ada@example..com", "double-dot"),
]

REQUEST_BAD_VALUES = [
    # wrong JSON types
    bad("requests", "title", 5, "number"),
    bad("requests", "title", ["Export"], "array"),
    bad("requests", "description", {"text": "x"}, "object"),
    bad("requests", "stakeholder_id", True, "true"),
    bad("requests", "stakeholder_id", AS_STRING, AS_STRING.label),
    bad("requests", "stakeholder_id", AS_FLOAT, AS_FLOAT.label),
    bad("requests", "stakeholder_id", AS_ARRAY, AS_ARRAY.label),
    bad("requests", "stakeholder_id", AS_OBJECT, AS_OBJECT.label),
    bad("requests", "need_id", True, "true"),
    bad("requests", "need_id", AS_STRING, AS_STRING.label),
    bad("requests", "channel", 1, "number"),
    bad("requests", "urgency", ["high"], "array"),
    bad("requests", "customer", 5, "number"),
    bad("requests", "revenue_at_stake", "lots", "string"),
    bad("requests", "revenue_at_stake", True, "true"),
    bad("requests", "revenue_at_stake", {"amount": 1}, "object"),
    # out of range
    bad("requests", "revenue_at_stake", -1, "-1"),
    bad("requests", "revenue_at_stake", -0.01, "-0.01"),
    bad("requests", "revenue_at_stake", 1.001, "three-decimals"),
    bad("requests", "revenue_at_stake", "0.005", "three-decimals-as-string"),
    bad("requests", "revenue_at_stake", 10**13, "10**13"),
    *(bad("requests", "stakeholder_id", i, str(i)) for i in OUT_OF_RANGE_IDS),
    *(bad("requests", "need_id", i, str(i)) for i in OUT_OF_RANGE_IDS),
    # unknown enum values
    bad("requests", "channel", "fax", "unknown"),
    bad("requests", "urgency", "urgent", "unknown"),
    bad("requests", "urgency", "HIGH", "wrong-case"),
    # blank, and null where a value is required
    bad("requests", "title", "", "empty"),
    bad("requests", "title", "   ", "blank"),
    bad("requests", "customer", "", "empty"),
    bad("requests", "title", None, "null"),
    bad("requests", "description", None, "null"),
    bad("requests", "stakeholder_id", None, "null"),
    bad("requests", "channel", None, "null"),
    bad("requests", "urgency", None, "null"),
    # oversized
    bad("requests", "title", "x" * 301, "301-chars"),
    bad("requests", "description", "x" * 100_001, "100001-chars"),
    bad("requests", "customer", "x" * 201, "201-chars"),
    # NUL bytes
    bad("requests", "title", NUL, "nul"),
    bad("requests", "description", NUL, "nul"),
    bad("requests", "customer", NUL, "nul"),
]

# The external reference: not part of the PUT body (the path carries it there).
EXTERNAL_REFERENCE_BAD_VALUES = [
    bad("requests", "source_system", 5, "number"),
    bad("requests", "external_id", ["4711"], "array"),
    bad("requests", "source_system", "  ", "blank"),
    bad("requests", "source_system", "x" * 101, "101-chars"),
    bad("requests", "external_id", "x" * 201, "201-chars"),
    bad("requests", "source_system", NUL, "nul"),
    bad("requests", "external_id", NUL, "nul"),
]

NEED_BAD_VALUES = [
    bad("needs", "statement", 5, "number"),
    bad("needs", "statement", {"text": "x"}, "object"),
    bad("needs", "description", ["x"], "array"),
    bad("needs", "theme", 5, "number"),
    bad("needs", "statement", "", "empty"),
    bad("needs", "statement", "\t\n ", "blank"),
    bad("needs", "theme", " ", "blank"),
    bad("needs", "statement", None, "null"),
    bad("needs", "description", None, "null"),
    bad("needs", "statement", "x" * 501, "501-chars"),
    bad("needs", "description", "x" * 20_001, "20001-chars"),
    bad("needs", "theme", "x" * 101, "101-chars"),
    bad("needs", "statement", NUL, "nul"),
    bad("needs", "description", NUL, "nul"),
    bad("needs", "theme", NUL, "nul"),
]

ROADMAP_ITEM_BAD_VALUES = [
    bad("roadmap-items", "title", 5, "number"),
    bad("roadmap-items", "title", ["x"], "array"),
    bad("roadmap-items", "status", 1, "number"),
    bad("roadmap-items", "horizon", True, "true"),
    bad("roadmap-items", "theme", {}, "object"),
    bad("roadmap-items", "target_date", "tomorrow", "word"),
    bad("roadmap-items", "target_date", "2026-02-30", "no-such-day"),
    bad("roadmap-items", "target_date", True, "true"),
    bad("roadmap-items", "status", "done", "unknown"),
    bad("roadmap-items", "status", "Planned", "wrong-case"),
    bad("roadmap-items", "horizon", "someday", "unknown"),
    bad("roadmap-items", "title", "", "empty"),
    bad("roadmap-items", "title", "  ", "blank"),
    bad("roadmap-items", "theme", " ", "blank"),
    bad("roadmap-items", "title", None, "null"),
    bad("roadmap-items", "description", None, "null"),
    bad("roadmap-items", "status", None, "null"),
    bad("roadmap-items", "horizon", None, "null"),
    bad("roadmap-items", "title", "x" * 301, "301-chars"),
    bad("roadmap-items", "description", "x" * 20_001, "20001-chars"),
    bad("roadmap-items", "theme", "x" * 101, "101-chars"),
    bad("roadmap-items", "title", NUL, "nul"),
    bad("roadmap-items", "description", NUL, "nul"),
    bad("roadmap-items", "theme", NUL, "nul"),
]

BAD_VALUES = [
    *STAKEHOLDER_BAD_VALUES,
    *REQUEST_BAD_VALUES,
    *EXTERNAL_REFERENCE_BAD_VALUES,
    *NEED_BAD_VALUES,
    *ROADMAP_ITEM_BAD_VALUES,
]


def assert_refused_field(response, field):
    body = assert_validation_problem(response, ["body", field])
    # Refused for its form, before any lookup: `true` must not be read as stakeholder 1.
    assert all("does not exist" not in error["msg"] for error in body["errors"]), body


# --- controls: the valid counterparts of the bad requests below succeed -----------------


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_control_the_valid_bodies_are_accepted(client, collection):
    created = stored(client, collection)

    response = client.patch(f"{API}/{collection}/{created['id']}", json=VALID_CHANGE[collection])

    assert response.status_code == 200, response.text
    assert response.json()["version"] == created["version"] + 1


def test_control_the_valid_upsert_body_is_accepted(client):
    body = valid_body(client, "requests")

    assert client.put(upsert_url(), json=body).status_code == 201
    assert client.put(upsert_url(), json=body | {"title": "Again"}).status_code == 200


# --- bad field values -------------------------------------------------------------------


@pytest.mark.parametrize(("collection", "field", "value"), BAD_VALUES)
def test_post_with_a_bad_field_value_creates_nothing(client, collection, field, value):
    body = valid_body(client, collection)
    body[field] = resolve(value, body, field)

    assert_refused_field(client.post(f"{API}/{collection}", json=body), field)

    assert listed(client, collection) == []


@pytest.mark.parametrize(("collection", "field", "value"), BAD_VALUES)
def test_patch_with_a_bad_field_value_changes_nothing(client, collection, field, value):
    resource = stored(client, collection)
    change = {field: resolve(value, resource, field)}

    assert_refused_field(client.patch(f"{API}/{collection}/{resource['id']}", json=change), field)

    assert client.get(f"{API}/{collection}/{resource['id']}").json() == resource


@pytest.mark.parametrize("existing", [False, True], ids=["create", "update"])
@pytest.mark.parametrize(("collection", "field", "value"), REQUEST_BAD_VALUES)
def test_upsert_with_a_bad_field_value_changes_nothing(client, collection, field, value, existing):
    body = valid_body(client, collection)
    if existing:
        assert client.put(upsert_url(), json=body).status_code == 201
    body[field] = resolve(value, body, field)

    with nothing_changes(client, "requests"):
        assert_refused_field(client.put(upsert_url(), json=body), field)


REQUIRED_FIELDS = [
    ("stakeholders", "name"),
    ("requests", "title"),
    ("requests", "stakeholder_id"),
    ("needs", "statement"),
    ("roadmap-items", "title"),
]


@pytest.mark.parametrize(("collection", "field"), REQUIRED_FIELDS)
def test_post_without_a_required_field_creates_nothing(client, collection, field):
    body = valid_body(client, collection)
    del body[field]

    with nothing_changes(client):
        assert_validation_problem(client.post(f"{API}/{collection}", json=body), ["body", field])


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


# --- bodies that are not a JSON object ----------------------------------------------------


def as_json(value):
    return json.dumps(value).encode()


NOT_A_JSON_OBJECT = {
    "not-json": lambda valid: (b"not json", JSON),
    "truncated-json": lambda valid: (as_json(valid)[:-1], JSON),
    "empty": lambda valid: (b"", JSON),
    "empty-without-content-type": lambda valid: (b"", None),
    "array-of-the-valid-object": lambda valid: (as_json([valid]), JSON),
    "valid-object-as-text-plain": lambda valid: (as_json(valid), "text/plain"),
    "form-encoded": lambda valid: (b"title=x", "application/x-www-form-urlencoded"),
    "json-null": lambda valid: (b"null", JSON),
    "json-string": lambda valid: (b'"hello"', JSON),
    "json-number": lambda valid: (b"42", JSON),
    "invalid-utf8": lambda valid: (b'{"title": "\xff\xfe"}', JSON),
    "nested-too-deep": lambda valid: (b"[" * 100_000, JSON),
}

WRITES = [
    *(pytest.param("POST", c, id=f"POST-{c}") for c in COLLECTIONS),
    *(pytest.param("PATCH", c, id=f"PATCH-{c}") for c in COLLECTIONS),
    pytest.param("PUT", "requests", id="PUT-requests-external"),
]


@pytest.mark.parametrize("kind", NOT_A_JSON_OBJECT)
@pytest.mark.parametrize(("method", "collection"), WRITES)
def test_a_body_that_is_not_a_json_object_changes_nothing(client, method, collection, kind):
    if method == "POST":
        url, valid = f"{API}/{collection}", valid_body(client, collection)
    elif method == "PATCH":
        url, valid = (
            f"{API}/{collection}/{stored(client, collection)['id']}",
            VALID_CHANGE[collection],
        )
    else:
        url, valid = upsert_url(), valid_body(client, collection)
    content, content_type = NOT_A_JSON_OBJECT[kind](valid)
    headers = {"content-type": content_type} if content_type else {}

    with nothing_changes(client, collection):
        assert_problem(client.request(method, url, content=content, headers=headers))


@pytest.mark.parametrize(
    "raw_weight", [b"NaN", b"Infinity", b"-Infinity", b"1e999"], ids=bytes.decode
)
def test_non_finite_numbers_are_refused(client, raw_weight):
    content = b'{"name": "Ada", "weight": ' + raw_weight + b"}"

    with nothing_changes(client):
        response = client.post(
            f"{API}/stakeholders", content=content, headers={"content-type": JSON}
        )
        assert_validation_problem(response, ["body", "weight"])


# --- ids in the path ----------------------------------------------------------------------

BAD_PATH_IDS = [
    pytest.param(lambda existing: "0", id="0"),
    pytest.param(lambda existing: "-1", id="-1"),
    pytest.param(lambda existing: str(2**63), id="2**63"),
    pytest.param(lambda existing: str(2**64), id="2**64"),
    pytest.param(lambda existing: "99999999999999999999", id="20-digits"),
    pytest.param(lambda existing: "9" * 5000, id="5000-digits"),
    # Truncated to 64 (or 32) bits, these would land on the existing row.
    pytest.param(lambda existing: str(2**64 + existing), id="2**64+existing"),
    pytest.param(lambda existing: str(2**32 + existing), id="2**32+existing"),
    pytest.param(lambda existing: "abc", id="word"),
    pytest.param(lambda existing: "1.5", id="decimal"),
]


@pytest.mark.parametrize("bad_id", BAD_PATH_IDS)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_bad_id_in_the_path_is_a_4xx_and_changes_nothing(client, collection, method, bad_id):
    existing = stored(client, collection)
    url = f"{API}/{collection}/{bad_id(existing['id'])}"
    body = VALID_CHANGE[collection] if method == "PATCH" else None

    with nothing_changes(client, collection):
        assert_problem(client.request(method, url, json=body))


# --- query parameters -----------------------------------------------------------------------


def b64(raw):
    return base64.urlsafe_b64encode(raw.encode("latin-1")).decode()


MALFORMED_CURSORS = {
    "garbage": "garbage!!",
    "not-ascii": "é",
    "empty": "",
    "base64-of-text": b64("hello"),
    "base64-of-invalid-utf8": b64("\xff\xfe"),
    "base64-of-json-string": b64('"7"'),
    "base64-of-json-array": b64("[7]"),
    "base64-without-id": b64('{"after": 7}'),
    "id-as-string": b64('{"id": "7"}'),
    "id-as-float": b64('{"id": 7.5}'),
    "id-true": b64('{"id": true}'),
    "id-null": b64('{"id": null}'),
    "id-negative": b64('{"id": -1}'),
    "id-zero": b64('{"id": 0}'),
    "id-2**63": b64(json.dumps({"id": 2**63})),
    "too-long": "x" * 201,
}

BAD_LIMITS = {"0": "0", "201": "201", "abc": "abc", "-1": "-1", "empty": "", "1.5": "1.5"}


def bad_query(collection, name, value, label):
    return pytest.param(collection, {name: value}, name, id=f"{collection}?{name}={label}")


BAD_QUERIES = [
    # ids that do not fit, or are not ids
    *(
        bad_query("requests", name, str(value), str(value))
        for name in ("stakeholder_id", "need_id")
        for value in [*OUT_OF_RANGE_IDS, "abc", "true", "99999999999999999999"]
    ),
    # unknown enum values
    bad_query("stakeholders", "group", "wizard", "unknown"),
    bad_query("requests", "status", "closed", "unknown"),
    bad_query("requests", "status", "NEW", "wrong-case"),
    bad_query("requests", "channel", "fax", "unknown"),
    bad_query("requests", "urgency", "urgent", "unknown"),
    bad_query("roadmap-items", "status", "done", "unknown"),
    bad_query("roadmap-items", "horizon", "someday", "unknown"),
    # paging
    *(
        bad_query(collection, "cursor", cursor, label)
        for collection in COLLECTIONS
        for label, cursor in MALFORMED_CURSORS.items()
    ),
    *(
        bad_query(collection, "limit", limit, label)
        for collection in COLLECTIONS
        for label, limit in BAD_LIMITS.items()
    ),
]


@pytest.mark.parametrize(("collection", "params", "name"), BAD_QUERIES)
def test_a_bad_query_parameter_is_a_422(client, collection, params, name):
    # A row to find, so a wrongly accepted parameter would have something to return.
    stored(client, collection)

    response = client.get(f"{API}/{collection}", params=params)

    assert_validation_problem(response, ["query", name])


@pytest.mark.parametrize(
    "statuses",
    [
        pytest.param(["new", "closed"], id="unknown-last"),
        pytest.param(["closed", "new"], id="unknown-first"),
        pytest.param(["new", "triaged"], id="both-known"),
    ],
)
def test_a_repeated_query_parameter_is_a_422(client, statuses):
    response = client.get(f"{API}/requests", params=[("status", status) for status in statuses])

    assert_validation_problem(response, ["query", "status"])


TEXT_FILTERS = [
    ("stakeholders", "q"),
    ("stakeholders", "organization"),
    ("stakeholders", "email"),
    ("requests", "q"),
    ("requests", "customer"),
    ("requests", "source_system"),
    ("needs", "q"),
    ("needs", "theme"),
    ("roadmap-items", "q"),
    ("roadmap-items", "theme"),
]


@pytest.mark.parametrize(("collection", "name"), TEXT_FILTERS)
def test_nul_in_a_text_filter_is_a_422(client, collection, name):
    response = client.get(f"{API}/{collection}", params={name: NUL})

    assert_validation_problem(response, ["query", name])


# --- property: whatever JSON goes into a field, the answer is never a 5xx ----------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.text(min_size=190, max_size=510),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)


@pytest.mark.parametrize("collection", COLLECTIONS)
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_arbitrary_json_in_any_field_never_causes_a_server_error(client, collection, data):
    # The database is not emptied between examples: assert nothing about what is stored.
    valid = valid_body(client, collection)
    body = data.draw(
        st.fixed_dictionaries(
            {}, optional={field: st.just(value) | json_values for field, value in valid.items()}
        ),
        label="body",
    )

    response = client.post(f"{API}/{collection}", json=body)

    assert response.status_code < 500, response.text
    if response.status_code != 201:
        assert_problem(response)
