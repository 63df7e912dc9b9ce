"""A body that is not a JSON object, or holds a non-finite number, is refused: nothing changes."""

import json

import pytest

from tests.core.helpers import (
    API,
    COLLECTIONS,
    VALID_CHANGE,
    assert_problem,
    assert_validation_problem,
    nothing_changes,
    stored,
    upsert_url,
    valid_body,
)

JSON = "application/json"


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


@pytest.mark.parametrize(
    ("content", "status", "type_"),
    [
        pytest.param(b'{"name": ', 422, "validation-error", id="json-that-does-not-parse"),
        pytest.param(b'{"name": "\xff\xfe"}', 400, "bad-request", id="bytes-not-utf8"),
    ],
)
def test_an_unreadable_body_answers_as_documented(client, content, status, type_):
    response = client.post(f"{API}/stakeholders", content=content, headers={"content-type": JSON})

    assert assert_problem(response, status)["type"] == f"urn:reqtrack:problem:{type_}"


def test_json_that_does_not_parse_says_where_in_our_words(client):
    response = client.post(
        f"{API}/stakeholders", content=b'{"name": ', headers={"content-type": JSON}
    )

    assert assert_validation_problem(response, ["body"])["errors"] == [
        {"loc": ["body"], "msg": "The body is not valid JSON: expecting value at character 9."}
    ]


def test_bytes_that_are_not_utf8_say_so(client):
    response = client.post(
        f"{API}/stakeholders", content=b'{"name": "\xff"}', headers={"content-type": JSON}
    )

    assert assert_problem(response, 400)["detail"] == (
        "The body cannot be read as text: send it encoded as UTF-8."
    )
