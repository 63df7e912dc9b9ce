"""A bad, repeated or NUL-holding query parameter is a 422 problem that names it."""

import base64
import json

import pytest

from app.core.pagination import filters_digest
from app.needs.service import NeedFilters
from app.requests.service import RequestFilters
from app.roadmap.service import RoadmapItemFilters
from app.stakeholders.service import StakeholderFilters
from tests.core.helpers import (
    API,
    COLLECTIONS,
    NUL,
    OUT_OF_RANGE_IDS,
    assert_validation_problem,
    stored,
)

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
    "without-list": b64('{"id": 7}'),
    "too-long": "x" * 201,
}
# Positions that are not ids, in cursors otherwise issued by the list they are given to.
BAD_POSITIONS = {"string": "7", "float": 7.5, "true": True, "null": None}
BAD_POSITIONS |= {"negative": -1, "zero": 0, "2**63": 2**63}
UNFILTERED = {
    "stakeholders": StakeholderFilters(),
    "requests": RequestFilters(),
    "needs": NeedFilters(),
    "roadmap-items": RoadmapItemFilters(),
}


def bound_cursor(collection, position):
    payload = {"id": position, "list": f"/{collection}"}
    payload["filters"] = filters_digest(UNFILTERED[collection])
    return b64(json.dumps(payload))


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
        bad_query(collection, "cursor", bound_cursor(collection, position), f"id-{label}")
        for collection in COLLECTIONS
        for label, position in BAD_POSITIONS.items()
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


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_the_bad_positions_are_bad_only_by_their_position(client, collection):
    response = client.get(f"{API}/{collection}", params={"cursor": bound_cursor(collection, 7)})

    assert response.status_code == 200, response.text


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
