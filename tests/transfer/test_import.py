"""POST /api/v1/imports/requests: CSV and JSON lines, checked as POST /requests checks a
request, written all or nothing, audited and announced like any other write."""

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from app.auth.models import Role
from tests import factories
from tests.conftest import app_on
from tests.transfer.helpers import (
    API,
    IMPORT_URL,
    NDJSON,
    WRITABLE,
    all_requests,
    csv_file,
    json_lines,
    problem,
    request_count,
    upload,
)

HEADER = ["title", "description", "stakeholder_id", "channel", "urgency", "customer"]
COMPARED = [*WRITABLE, "status", "decision", "created_by"]


def test_csv_rows_become_requests_as_post_would_make_them(client, users):
    stakeholder = factories.stakeholder(client)
    need = factories.need(client)
    words = 'We need SSO,\nor the deal is off. "Soon."'
    sso = ["SSO", words, stakeholder["id"], "sales_call", "high", "Acme", "125000.50"]
    file = csv_file(
        [*HEADER, "revenue_at_stake", "need_id", "source_system", "external_id"],
        [*sso, need["id"], "crm", "D-1"],
        ["Dark mode", "", stakeholder["id"], "", "", "", "", "", "", ""],
    )

    response = upload(client, file)

    assert response.status_code == 201, response.text
    result = response.json()
    assert result["created"] == 2
    first, second = all_requests(client)
    assert (result["first_id"], result["last_id"]) == (first["id"], second["id"])
    assert first["description"] == words
    assert (first["channel"], first["urgency"], first["customer"]) == ("sales_call", "high", "Acme")
    assert Decimal(str(first["revenue_at_stake"])) == Decimal("125000.50")
    assert (first["need_id"], first["status"]) == (need["id"], "triaged")
    assert (first["source_system"], first["external_id"]) == ("crm", "D-1")
    # Empty cells are fields not given: the defaults of POST /requests apply.
    assert (second["channel"], second["urgency"], second["description"]) == ("other", "medium", "")
    assert (second["customer"], second["status"]) == (None, "new")
    assert {r["created_by"] for r in (first, second)} == {users[Role.admin].id}

    posted = factories.request(
        client, title="Dark mode", stakeholder_id=stakeholder["id"], channel="other"
    )
    assert {f: second[f] for f in COMPARED} == {f: posted[f] for f in COMPARED}


@pytest.mark.parametrize("content_type", [NDJSON, "application/jsonl"])
def test_json_lines_rows_become_requests(client, content_type):
    stakeholder = factories.stakeholder(client)
    file = json_lines(
        {"title": "SSO", "stakeholder_id": stakeholder["id"], "revenue_at_stake": 99.5},
        {"title": "Audit log", "stakeholder_id": stakeholder["id"], "urgency": "critical"},
    )

    response = upload(client, file + b"\n\n", content_type)  # trailing blank lines are fine

    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2
    first, second = all_requests(client)
    assert (first["title"], first["revenue_at_stake"]) == ("SSO", 99.5)
    assert (second["title"], second["urgency"]) == ("Audit log", "critical")


def test_a_row_names_its_stakeholder_by_email_in_any_case(client):
    alice = factories.stakeholder(client, email="alice@example.com")
    bob = factories.stakeholder(client, email="bob@example.com")
    file = csv_file(
        ["title", "stakeholder_email", "stakeholder_id"],
        ["By e-mail", "Alice@Example.COM", ""],
        ["By id", "", bob["id"]],
        ["By both, the same", "bob@example.com", bob["id"]],
    )

    response = upload(client, file)

    assert response.status_code == 201, response.text
    owners = [r["stakeholder_id"] for r in all_requests(client)]
    assert owners == [alice["id"], bob["id"], bob["id"]]


def test_json_lines_name_the_stakeholder_by_email_too(client):
    alice = factories.stakeholder(client, email="alice@example.com")

    response = upload(
        client, json_lines({"title": "T", "stakeholder_email": "alice@example.com"}), NDJSON
    )

    assert response.status_code == 201, response.text
    assert all_requests(client)[0]["stakeholder_id"] == alice["id"]


def test_what_the_export_shows_but_no_client_sets_is_ignored(client, users):
    stakeholder = factories.stakeholder(client)
    other_user = users[Role.manager].id
    file = csv_file(
        ["id", "title", "stakeholder_id", "status", "created_by", "version", "decision_id"],
        [987654, "Imported", stakeholder["id"], "decided", other_user, 42, 5],
    )

    response = upload(client, file)

    assert response.status_code == 201, response.text
    (request,) = all_requests(client)
    assert request["id"] != 987654
    assert (request["status"], request["version"]) == ("new", 1)
    assert request["created_by"] == users[Role.admin].id


def test_a_request_filed_under_a_decided_need_is_decided_and_answered(client):
    need = factories.need(client)
    declined = {"outcome": "declined", "why": "Not our market"}
    decision = factories.created(client, f"/needs/{need['id']}/decisions", declined)
    stakeholder = factories.stakeholder(client)

    response = upload(
        client,
        csv_file(["title", "stakeholder_id", "need_id"], ["T", stakeholder["id"], need["id"]]),
    )

    assert response.status_code == 201, response.text
    (request,) = all_requests(client)
    assert request["status"] == "decided"
    assert request["decision"]["id"] == decision["id"]
    assert request["first_answered_at"] is not None


def test_spreadsheet_habits_are_read_well(client):
    """A byte-order mark, CRLF line ends, headers in another case, blank lines and rows of
    empty cells, and the export's guard before a formula-like cell."""
    stakeholder = factories.stakeholder(client)
    file = (
        "\ufeffTitle , Stakeholder_ID,Description\r\n"
        f"'=1+1,{stakeholder['id']},'-minus\r\n"
        "\r\n"
        ",,\r\n"
        f"'tis the season,{stakeholder['id']},\r\n"
    ).encode()

    response = upload(client, file)

    assert response.status_code == 201, response.text
    first, second = all_requests(client)
    assert (first["title"], first["description"]) == ("=1+1", "-minus")
    assert second["title"] == "'tis the season"


def test_a_file_arriving_in_small_chunks_is_read_the_same(client):
    stakeholder = factories.stakeholder(client)
    file = csv_file(
        ["title", "description", "stakeholder_id"],
        *[[f"Ünïcödé {n} ✓", "multi\nline 😀", stakeholder["id"]] for n in range(50)],
    )

    def chunks():
        # 7 bytes at a time: lines and multi-byte characters are split across chunks.
        for start in range(0, len(file), 7):
            yield file[start : start + 7]

    response = upload(client, chunks())

    assert response.status_code == 201, response.text
    requests = all_requests(client)
    assert [r["title"] for r in requests] == [f"Ünïcödé {n} ✓" for n in range(50)]
    assert {r["description"] for r in requests} == {"multi\nline 😀"}


# --- who may import --------------------------------------------------------------------


def test_a_viewer_may_not_import(client, client_as):
    stakeholder = factories.stakeholder(client)
    file = csv_file(["title", "stakeholder_id"], ["T", stakeholder["id"]])

    response = upload(client_as(Role.viewer), file)

    problem(response, 403)
    assert request_count(client) == 0


def test_a_contributor_imports_and_may_then_edit_what_they_imported(client, client_as, users):
    contributor = client_as(Role.contributor)
    stakeholder = factories.stakeholder(client)

    response = upload(contributor, csv_file(["title", "stakeholder_id"], ["T", stakeholder["id"]]))

    assert response.status_code == 201, response.text
    request_id = response.json()["first_id"]
    assert client.get(f"{API}/requests/{request_id}").json()["created_by"] == (
        users[Role.contributor].id
    )
    edited = contributor.patch(f"{API}/requests/{request_id}", json={"title": "Mine"})
    assert edited.status_code == 200, edited.text


def test_without_a_token_nothing_is_read_or_written(client, anonymous):
    stakeholder = factories.stakeholder(client)

    response = upload(anonymous, csv_file(["title", "stakeholder_id"], ["T", stakeholder["id"]]))

    problem(response, 401)
    assert request_count(client) == 0


# --- audited and announced like every write -------------------------------------------


def test_every_imported_request_is_audited_like_a_posted_one(client, users):
    stakeholder = factories.stakeholder(client)
    posted = factories.request(client, title="Posted", stakeholder_id=stakeholder["id"])
    upload(
        client,
        csv_file(["title", "stakeholder_id"], ["A", stakeholder["id"]], ["B", stakeholder["id"]]),
    )
    imported = [r for r in all_requests(client) if r["id"] != posted["id"]]

    def entries(request_id):
        params = {"entity": "request", "entity_id": request_id}
        return client.get(f"{API}/audit", params=params).json()["items"]

    (reference,) = entries(posted["id"])
    for request in imported:
        (entry,) = entries(request["id"])
        assert entry["action"] == reference["action"] == "create"
        assert entry["before"] is None
        assert entry["after"].keys() == reference["after"].keys()
        assert entry["after"]["title"] == request["title"]
        assert entry["after"]["id"] == request["id"]
        for field in ("actor_type", "actor_id", "actor_label"):
            assert entry[field] == reference[field]
        assert entry["actor_id"] == users[Role.admin].id


def test_every_imported_request_is_announced_with_what_get_shows(client):
    stakeholder = factories.stakeholder(client)
    need = factories.need(client)
    file = csv_file(
        ["title", "stakeholder_id", "need_id"],
        ["A", stakeholder["id"], need["id"]],
        ["B", stakeholder["id"], ""],
    )

    upload(client, file)

    events = client.get(f"{API}/events", params={"type": "request.created"}).json()["items"]
    assert [e["data"] for e in events] == all_requests(client)


# --- size -------------------------------------------------------------------------------


def test_an_import_may_be_larger_than_other_bodies(client, settings):
    stakeholder = factories.stakeholder(client)
    description = "x" * 90_000
    rows = settings.max_body_bytes // len(description) + 5
    file = csv_file(
        ["title", "description", "stakeholder_id"],
        *[[f"Big {n}", description, stakeholder["id"]] for n in range(rows)],
    )
    assert len(file) > settings.max_body_bytes

    response = upload(client, file)

    assert response.status_code == 201, response.text
    assert response.json()["created"] == rows


@pytest.fixture
def small_import_limit(app, settings, engine):
    """A client of the app with max_import_bytes of 64 KiB, on the same database."""
    small = app_on(engine, settings.model_copy(update={"max_import_bytes": 64 * 1024}))
    small.state.token_issuer = app.state.token_issuer
    return small


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_import_over_its_own_limit_is_refused(client, small_import_limit, chunked):
    stakeholder = factories.stakeholder(client)
    file = csv_file(["title", "stakeholder_id"], *[["x", stakeholder["id"]]] * 20_000)
    assert len(file) > 64 * 1024
    limited = TestClient(small_import_limit, headers=client.headers)

    response = upload(limited, iter([file]) if chunked else file)

    problem(response, 413)
    assert request_count(client) == 0


@pytest.mark.parametrize("role", [None, Role.viewer])
def test_only_those_who_may_import_may_send_an_imports_size(client_as, settings, role):
    """Nobody else can make the server keep 200 MiB: their bodies have the usual limit."""
    row = b"Title," + b"x" * 100_000 + b",1\n"  # a long description, and no stakeholder 1
    file = b"title,description,stakeholder_id\n" + row * (settings.max_body_bytes // 100_000 + 1)
    assert settings.max_body_bytes < len(file) < settings.max_import_bytes

    refused = upload(client_as(role), file)
    read = upload(client_as(Role.contributor), file)

    problem(refused, 413)
    assert str(settings.max_body_bytes) in refused.json()["detail"]
    problem(read, 422)  # read whole, and its rows checked: stakeholder 1 does not exist


def test_fifty_thousand_rows_in_one_call(client):
    stakeholders = [factories.stakeholder(client) for _ in range(20)]
    said = "What the customer said, verbatim, in a sentence or two. "
    rows = [
        [f"Request {n}", said, stakeholders[n % 20]["email"], "chat", "zendesk", f"T-{n}"]
        for n in range(50_000)
    ]
    header = ["title", "description", "stakeholder_email", "channel", "source_system"]
    file = csv_file([*header, "external_id"], *rows)

    response = upload(client, file)

    assert response.status_code == 201, response.text
    result = response.json()
    assert result["created"] == 50_000
    last = client.get(f"{API}/requests/{result['last_id']}").json()
    assert (last["title"], last["external_id"]) == ("Request 49999", "T-49999")
    params = {"entity": "request", "entity_id": result["last_id"]}
    assert len(client.get(f"{API}/audit", params=params).json()["items"]) == 1


def test_an_import_with_an_idempotency_key_is_done_once(client):
    stakeholder = factories.stakeholder(client)
    file = csv_file(["title", "stakeholder_id"], ["Once", stakeholder["id"]])
    headers = {"Content-Type": "text/csv", "Idempotency-Key": "import-1"}

    first = client.post(IMPORT_URL, content=file, headers=headers)
    again = client.post(IMPORT_URL, content=file, headers=headers)
    other = client.post(IMPORT_URL, content=file + file.splitlines(True)[1], headers=headers)

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert request_count(client) == 1


def test_imported_requests_never_take_the_id_of_a_deleted_one(client):
    stakeholder = factories.stakeholder(client)
    kept = factories.request(client, stakeholder_id=stakeholder["id"])
    deleted = factories.request(client, stakeholder_id=stakeholder["id"])
    assert client.delete(f"{API}/requests/{deleted['id']}").status_code == 204

    file = csv_file(
        ["title", "stakeholder_id"], ["New", stakeholder["id"]], ["Newer", stakeholder["id"]]
    )
    result = upload(client, file).json()

    assert (result["first_id"], result["last_id"]) == (deleted["id"] + 1, deleted["id"] + 2)
    assert client.get(f"{API}/requests/{deleted['id']}").status_code == 404
    assert client.get(f"{API}/requests/{kept['id']}").json()["title"] == kept["title"]
    after = factories.request(client, stakeholder_id=stakeholder["id"])
    assert after["id"] == deleted["id"] + 3  # and what is posted next follows them


def test_imported_requests_are_found_by_search_as_posted_ones_are(client):
    stakeholder = factories.stakeholder(client)
    # Rows at the edges of the import's batches say it.
    marked = {0, 999, 1000, 1999, 2000, 2499}
    rows = [
        [f"Login with {'zebrafish' if n in marked else 'okta'} {n}", stakeholder["id"]]
        for n in range(2_500)
    ]
    posted = factories.request(client, title="Zebrafish login, posted")

    result = upload(client, csv_file(["title", "stakeholder_id"], *rows)).json()

    found = client.get(f"{API}/requests", params={"q": "zebrafish"}).json()["items"]
    imported = {result["first_id"] + n for n in marked}
    assert {r["id"] for r in found} == imported | {posted["id"]}
