"""Every route follows the role rules: viewers only read, each role calls what issue 3 allows."""

import pytest

from app.auth.models import Role
from tests.auth.helpers import assert_problem, database_rows, problem_mismatch
from tests.auth.route_table import ROLE_RULED_ROUTES, WRITE_ROUTES, Route, Targets, call

# --- the role rules of issue 3, written out apart from the app's code --------------------

CONTRIBUTOR_WRITES = frozenset(
    {"create_stakeholder", "create_request", "upsert_external_request", "import_requests"}
)


def may_call(role: Role, route: Route) -> bool:
    """Whether `role` may make this call on resources the admin created."""
    if route.area in ("users", "service-tokens", "webhooks"):
        return role is Role.admin
    # What was told to whom, like who changed what, is for managers.
    notices = route.path.endswith(("/notices", "/untold"))
    if route.area in ("audit", "notices") or notices:
        return role in (Role.manager, Role.admin)
    if not route.is_write:
        return True
    if role in (Role.manager, Role.admin):
        return True
    # Not update_request: the admin created the target, and contributors edit only their own.
    return role is Role.contributor and route.name in CONTRIBUTOR_WRITES


# --- 2. viewers read only ------------------------------------------------------------------


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=str)
def test_write_route_refuses_a_viewer_with_403(route, client, client_as, engine):
    targets = Targets(client)
    url, body = targets.url(route), targets.body(route)
    before = database_rows(engine)

    response = call(client_as(Role.viewer), route, url, body)

    assert_problem(response, 403, f"{route} as viewer")
    assert database_rows(engine) == before, f"{route} as viewer changed the database"


# --- 3. role rules -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROLE_RULED_ROUTES, ids=str)
def test_route_follows_the_role_rules(route, client, client_as, engine):
    failures = []
    for role in Role:
        targets = Targets(client)  # fresh ones: the previous role may have deleted them
        url, body = targets.url(route), targets.body(route)
        before = database_rows(engine)

        response = call(client_as(role), route, url, body)

        if may_call(role, route):
            if not 200 <= response.status_code < 300:
                failures.append(
                    f"{route} as {role.value} should succeed: "
                    f"{response.status_code} {response.text[:300]}"
                )
        else:
            reason = problem_mismatch(response, 403)
            if reason is None and database_rows(engine) != before:
                reason = "answered 403 but changed the database"
            if reason is not None:
                failures.append(f"{route} as {role.value} should be 403: {reason}")

    assert not failures, "\n".join(failures)
