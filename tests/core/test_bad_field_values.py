"""A bad or missing field value is a 422 problem, and the refused write changes nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.helpers import (
    API,
    COLLECTIONS,
    NUL,
    OUT_OF_RANGE_IDS,
    VALID_CHANGE,
    assert_problem,
    assert_validation_problem,
    listed,
    nothing_changes,
    stored,
    upsert_url,
    valid_body,
)


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


# --- controls: the valid counterparts of the bad-input tests' requests succeed ---------


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
