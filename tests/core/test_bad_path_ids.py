"""A bad id in the path is a 4xx problem on every resource and method, and changes nothing."""

from urllib.parse import quote

import pytest

from tests import factories
from tests.core.helpers import (
    API,
    COLLECTIONS,
    VALID_CHANGE,
    assert_problem,
    nothing_changes,
    stored,
)

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


@pytest.mark.parametrize("spelling", ["{}%0D", "%20{}", "+{}", "{}.0", "{}_0", "fullwidth"])
def test_a_path_id_is_decimal_digits_only(client, spelling):
    id_ = str(factories.stakeholder(client)["id"])
    if spelling == "fullwidth":  # digits, but not ASCII ones
        spelling = quote("".join(chr(0xFF10 + int(digit)) for digit in id_))
    path = spelling.format(id_)

    response = client.get(f"/api/v1/stakeholders/{path}")

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["path", "stakeholder_id"]
    assert error["msg"] == "must be an id: decimal digits only"
