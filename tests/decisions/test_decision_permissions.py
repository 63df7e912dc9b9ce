"""Only managers and admins decide, anonymous callers cannot, everyone signed in reads."""

import pytest

from app.auth.models import Role
from tests.decisions.helpers import (
    API,
    SUBJECTS,
    decide,
    decide_on,
    history,
    is_problem,
    make_subject,
    post_decision,
)


@pytest.mark.parametrize("kind", SUBJECTS)
@pytest.mark.parametrize("role", [Role.contributor, Role.viewer])
def test_only_managers_and_admins_decide(client, client_as, kind, role):
    subject_id = make_subject(client, kind)
    earlier = decide_on(client, kind, subject_id)

    response = post_decision(
        client_as(role), kind, subject_id, {"outcome": "declined", "why": "No."}
    )

    assert is_problem(response, 403), response.text
    assert history(client, kind, subject_id) == [earlier]


@pytest.mark.parametrize("kind", SUBJECTS)
def test_anonymous_callers_cannot_decide(client, anonymous, kind):
    subject_id = make_subject(client, kind)

    response = post_decision(anonymous, kind, subject_id, {"outcome": "declined", "why": "No."})

    assert is_problem(response, 401), response.text
    assert history(client, kind, subject_id) == []


def test_everyone_signed_in_reads_decisions(client, client_as):
    request_id = make_subject(client, "requests")
    made = decide(client, request_id)
    viewer = client_as(Role.viewer)

    assert viewer.get(f"{API}/decisions/{made['id']}").json() == made
    assert viewer.get(f"{API}/requests/{request_id}/decisions").json()["items"] == [made]
