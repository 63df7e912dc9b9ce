"""A request accepted into a roadmap item, for the suspect-link and confirmation tests."""

import pytest

from tests import factories
from tests.decisions.helpers import accept, make_subject


@pytest.fixture
def accepted_request(client):
    """A request accepted into a roadmap item: (item, request id, decision)."""
    item = factories.roadmap_item(
        client, title="SSO", description="SAML", horizon="later", theme="enterprise"
    )
    request_id = make_subject(client, "requests")
    return item, request_id, accept(client, "requests", request_id, item["id"])
