"""GET /api/v1/exports/requests.csv and /decisions.csv: what the lists show, with the same
filters, as a streamed CSV download that spreadsheets cannot be tricked into running."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth.models import Role
from app.transfer.cells import FORMULA_TRIGGERS, guard_formula, unguard_formula
from tests import factories
from tests.transfer.helpers import API, WRITABLE, all_requests, csv_file, parse_csv, upload

REQUESTS_CSV = f"{API}/exports/requests.csv"
DECISIONS_CSV = f"{API}/exports/decisions.csv"
REQUEST_COLUMNS = [
    "id",
    "title",
    "description",
    "stakeholder_id",
    "stakeholder_email",
    "channel",
    "source_system",
    "external_id",
    "customer",
    "revenue_at_stake",
    "urgency",
    "need_id",
    "status",
    "decision_id",
    "decision_outcome",
    "first_answered_at",
    "created_by",
    "created_at",
    "updated_at",
    "version",
]


def export(client, url=REQUESTS_CSV, **params):
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return parse_csv(response.text)


def listed_ids(client, path, **params):
    ids, params = [], {**params, "limit": 200}
    while True:
        page = client.get(f"{API}/{path}", params=params).json()
        ids += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            return ids
        params["cursor"] = page["next_cursor"]


@pytest.fixture
def world(client):
    """A decided, a triaged and a new request, and a superseded decision."""
    alice = factories.stakeholder(client, email="alice@example.com")
    bob = factories.stakeholder(client, email=None)
    need = factories.need(client)
    item = factories.roadmap_item(client)
    decided = factories.request(client, title="SSO", stakeholder_id=alice["id"], channel="email")
    triaged = factories.request(client, title="Dark mode", stakeholder_id=bob["id"])
    client.patch(f"{API}/requests/{triaged['id']}", json={"need_id": need["id"]})
    new = factories.request(
        client,
        title="Audit export",
        description='Line one,\nline two with a "quote".',
        stakeholder_id=alice["id"],
        customer="Acme",
        revenue_at_stake=125000.5,
        urgency="critical",
        source_system="crm",
        external_id="D-7",
    )
    url = f"/requests/{decided['id']}/decisions"
    factories.created(client, url, {"outcome": "deferred", "why": "Not now"})
    accepted = {"outcome": "accepted", "why": "Big deal", "roadmap_item_id": item["id"]}
    factories.created(client, url, accepted)
    return {"alice": alice, "bob": bob, "need": need, "item": item, "decided": decided,
            "triaged": triaged, "new": new}  # fmt: skip


def test_the_requests_export_is_a_csv_download_of_the_read_model(client, world):
    response = client.get(REQUESTS_CSV)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="requests.csv"'
    assert response.text.splitlines()[0] == ",".join(REQUEST_COLUMNS)
    rows = parse_csv(response.text)
    listed = client.get(f"{API}/requests").json()["items"]
    assert [int(row["id"]) for row in rows] == [item["id"] for item in listed]  # newest first
    by_id = {int(row["id"]): row for row in rows}
    for item in listed:
        row = by_id[item["id"]]
        for field in ["title", "description", "channel", "urgency", "status", "created_at"]:
            assert row[field] == item[field], field
        assert row["version"] == str(item["version"])
        assert row["created_by"] == str(item["created_by"])
    new, decided = by_id[world["new"]["id"]], by_id[world["decided"]["id"]]
    assert (new["customer"], new["revenue_at_stake"]) == ("Acme", "125000.50")
    assert (new["source_system"], new["external_id"]) == ("crm", "D-7")
    assert (new["stakeholder_email"], new["status"], new["decision_id"]) == (
        "alice@example.com",
        "new",
        "",
    )
    current = client.get(f"{API}/requests/{world['decided']['id']}").json()["decision"]
    assert (decided["decision_id"], decided["decision_outcome"]) == (str(current["id"]), "accepted")
    assert decided["first_answered_at"] != ""
    triaged = by_id[world["triaged"]["id"]]
    assert (triaged["status"], triaged["need_id"], triaged["stakeholder_email"]) == (
        "triaged",
        str(world["need"]["id"]),
        "",
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "decided"},
        {"status": "triaged"},
        {"status": "new"},
        {"channel": "email"},
        {"urgency": "critical"},
        {"customer": "Acme"},
        {"source_system": "crm", "external_id": "D-7"},
        {"q": "MODE"},
        {"q": "nothing matches this"},
    ],
    ids=str,
)
def test_the_requests_export_takes_the_filters_of_the_list(client, world, params):
    rows = export(client, **params)

    assert [int(row["id"]) for row in rows] == listed_ids(client, "requests", **params)


def test_the_export_filters_by_stakeholder_and_need(client, world):
    for params in ({"stakeholder_id": world["alice"]["id"]}, {"need_id": world["need"]["id"]}):
        rows = export(client, **params)
        assert [int(row["id"]) for row in rows] == listed_ids(client, "requests", **params)
        assert rows


def test_an_export_with_nothing_to_show_is_just_the_header(client):
    response = client.get(REQUESTS_CSV)

    assert response.status_code == 200
    assert response.text == ",".join(REQUEST_COLUMNS) + "\r\n"


@pytest.mark.parametrize("url", [REQUESTS_CSV, DECISIONS_CSV])
@pytest.mark.parametrize("params", [{"limit": "10"}, {"cursor": "abc"}, {"colour": "red"}])
def test_an_export_is_not_paged_and_refuses_unknown_parameters(client, url, params):
    response = client.get(url, params=params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]


@pytest.mark.parametrize(
    ("url", "params"), [(REQUESTS_CSV, {"status": "maybe"}), (DECISIONS_CSV, {"outcome": "maybe"})]
)
def test_an_export_refuses_a_bad_filter_value(client, url, params):
    response = client.get(url, params=params)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]


def test_the_decisions_export_takes_the_filters_of_the_list(client, world):
    response = client.get(DECISIONS_CSV)

    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="decisions.csv"'
    rows = parse_csv(response.text)
    listed = client.get(f"{API}/decisions").json()["items"]
    assert [int(row["id"]) for row in rows] == [d["id"] for d in listed]
    assert list(rows[0]) == list(listed[0])
    for row, decision in zip(rows, listed, strict=True):
        assert row["outcome"] == decision["outcome"]
        assert row["why"] == decision["why"]
        assert row["is_current"] == str(decision["is_current"]).lower()
        assert row["decided_at"] == decision["decided_at"]
    for params in (
        {"outcome": "deferred"},
        {"current": "false"},
        {"current": "true", "roadmap_item_id": world["item"]["id"]},
        {"suspect": "false"},
    ):
        rows = export(client, DECISIONS_CSV, **params)
        assert [int(row["id"]) for row in rows] == listed_ids(client, "decisions", **params)
        assert rows


def test_anyone_who_may_read_may_export(client, client_as, world):
    for url in (REQUESTS_CSV, DECISIONS_CSV):
        assert client_as(Role.viewer).get(url).status_code == 200


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(A1)", "\tTabbed", "\uff1d1+1"]
)
def test_cells_a_spreadsheet_would_run_are_exported_as_text(client, text):
    stakeholder = factories.stakeholder(client)
    factories.request(
        client, title=f"Title {text}", description=text, customer="@Acme",
        stakeholder_id=stakeholder["id"],
    )  # fmt: skip

    (row,) = export(client)

    assert row["description"] == "'" + text
    assert row["customer"] == "'@Acme"
    assert row["title"] == f"Title {text}"  # only the start of a cell matters


@given(st.text(alphabet=st.sampled_from([*FORMULA_TRIGGERS, "'", "a", "1", " "]), max_size=6))
def test_the_formula_guard_is_undone_exactly_by_the_import(text):
    guarded = guard_formula(text)

    assert unguard_formula(guarded) == text
    assert not guarded.startswith(FORMULA_TRIGGERS)


def test_harmless_cells_are_exported_as_they_are(client):
    stakeholder = factories.stakeholder(client)
    factories.request(
        client, title="'tis the season", description="1+1=2", stakeholder_id=stakeholder["id"]
    )

    (row,) = export(client)

    assert (row["title"], row["description"]) == ("'tis the season", "1+1=2")


def test_an_export_imports_again_as_it_was(client):
    alice = factories.stakeholder(client)
    need = factories.need(client)
    texts = ["=cmd|' /C calc'!A0", "-minus", "''double", "plain", 'multi\nline, "quoted"']
    for n, text in enumerate(texts):
        factories.request(
            client, title=f"T{n}", description=text, stakeholder_id=alice["id"],
            need_id=need["id"] if n % 2 else None, revenue_at_stake=10.5,
            source_system="crm", external_id=f"X-{n}", customer=text.strip(),
        )  # fmt: skip
    before = all_requests(client)
    exported = client.get(REQUESTS_CSV).content
    for request in before:
        assert client.delete(f"{API}/requests/{request['id']}").status_code == 204

    response = upload(client, exported)

    assert response.status_code == 201, response.text
    after = all_requests(client)
    # The export is newest first: imported as it is, the order turns around.
    assert [{f: r[f] for f in WRITABLE} for r in after[::-1]] == [
        {f: r[f] for f in WRITABLE} for r in before
    ]


def test_many_rows_are_streamed_in_batches_each_exactly_once(client):
    stakeholder = factories.stakeholder(client)
    rows = [[f"Request {n}", stakeholder["id"], f"{n}.25"] for n in range(2600)]
    file = csv_file(["title", "stakeholder_id", "revenue_at_stake"], *rows)
    assert upload(client, file).status_code == 201

    with client.stream("GET", REQUESTS_CSV, params={"q": "request"}) as response:
        assert response.status_code == 200
        text = "".join(response.iter_text())

    exported = parse_csv(text)
    ids = [int(row["id"]) for row in exported]
    assert len(ids) == len(set(ids)) == 2600
    assert ids == sorted(ids, reverse=True)
    assert {row["title"] for row in exported} == {f"Request {n}" for n in range(2600)}
    assert sum(Decimal(row["revenue_at_stake"]) for row in exported) == sum(
        Decimal(f"{n}.25") for n in range(2600)
    )
