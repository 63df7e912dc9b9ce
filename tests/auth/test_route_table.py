"""The security matrix walks the whole route table of the app under test, login aside."""

from tests.auth.helpers import API
from tests.auth.route_table import PROTECTED_ROUTES, protected_routes


def test_the_matrix_covers_the_route_table_of_the_app_under_test(app):
    assert protected_routes(app) == PROTECTED_ROUTES
    names = {str(route) for route in PROTECTED_ROUTES}
    assert f"POST {API}/auth/token" not in names
    for expected in [
        f"GET {API}/auth/me",
        f"PATCH {API}/requests/{{request_id:request_id}}",
        f"POST {API}/requests/triage",
        f"PUT {API}/requests/external/{{source_system}}/{{external_id:path}}",
        f"POST {API}/users",
        f"DELETE {API}/service-tokens/{{token_id}}",
        f"GET {API}/audit",
    ]:
        assert expected in names
