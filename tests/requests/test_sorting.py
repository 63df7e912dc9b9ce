"""`sort` on the requests list and the export: each order walks every request once,
page after page, ties by id; each reads an index; bad sorts and cursors are 422s."""

import base64
import json
from datetime import datetime

import pytest

from app.core.pagination import AFTER, encode_cursor
from app.requests.listing import REQUESTS, query_for
from app.requests.models import URGENCY_RANK, RequestSort, Urgency
from app.requests.service import RequestFilters
from tests import factories
from tests.reports.test_reports import filed_ago

API = "/api/v1"
# (revenue, urgency, hours ago): ties in each order, and creation times out of id order.
FILED = [
    (None, "low", 5),
    (5000, "critical", 30),
    (5000, "medium", 1),
    (None, "critical", 12),
    (120, "medium", 48),
    (5000, "low", 2),
    (0, "high", 30),
    (120, "critical", 7),
    (None, "medium", 3),
]


@pytest.fixture
def filed(client, engine):
    """The requests of FILED, as answered once backdated (the creation orders go by id,
    the order they were filed in)."""
    for number, (revenue, urgency, hours) in enumerate(FILED):
        for_whom = " for finance" if number % 2 else ""
        made = factories.request(
            client,
            title=f"Export number {number}{for_whom}",
            revenue_at_stake=revenue,
            urgency=urgency,
        )
        filed_ago(engine, made["id"], hours=hours)
    return client.get(f"{API}/requests", params={"limit": 200}).json()["items"]


def expected(items, sort):
    """The order `sort` promises, worked out here from the answered fields. Creation goes
    by id: ids and creation times are both given as a request is filed."""
    descending = sort.startswith("-")
    by = {
        "created_at": lambda item: item["id"],
        "revenue_at_stake": lambda item: (
            -1 if item["revenue_at_stake"] is None else item["revenue_at_stake"]
        ),
        "urgency": lambda item: URGENCY_RANK[Urgency(item["urgency"])],
    }[sort.lstrip("-")]
    ordered = sorted(items, key=lambda item: (by(item), item["id"]), reverse=descending)
    return [item["id"] for item in ordered]


def walk(client, path="/requests", **params):
    """Every id of the list, page by page (two a page)."""
    ids, cursor = [], None
    while True:
        paging = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = client.get(f"{API}{path}", params=params | paging)
        assert page.status_code == 200, page.text
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("sort", [sort.value for sort in RequestSort])
def test_each_order_walks_every_request_once_in_that_order(client, filed, sort):
    assert walk(client, sort=sort) == expected(filed, sort)


def test_newest_first_is_the_default_and_the_order_requests_were_filed(client, engine):
    made = [factories.request(client, title=f"Filed {n}")["id"] for n in range(5)]
    times = {
        item["id"]: datetime.fromisoformat(item["created_at"])
        for item in client.get(f"{API}/requests", params={"limit": 200}).json()["items"]
    }

    newest_first = walk(client)

    assert newest_first == made[::-1]
    assert [times[i] for i in newest_first] == sorted(times.values(), reverse=True)
    assert walk(client, sort="created_at") == made


def test_an_order_holds_under_filters_and_a_search(client, filed):
    critical = [item for item in filed if item["urgency"] == "critical"]
    for_finance = [item for item in filed if "finance" in item["title"]]

    assert walk(client, sort="created_at", urgency="critical") == expected(critical, "created_at")
    assert walk(client, sort="-revenue_at_stake", status="new") == expected(
        filed, "-revenue_at_stake"
    )
    assert walk(client, sort="-urgency", q="finance") == expected(for_finance, "-urgency")
    assert walk(client, sort="-revenue_at_stake", q="finance", urgency="critical") == expected(
        [item for item in for_finance if item["urgency"] == "critical"], "-revenue_at_stake"
    )


def test_the_export_comes_in_the_chosen_order(client, filed):
    exported = client.get(f"{API}/exports/requests.csv", params={"sort": "-urgency"})

    assert exported.status_code == 200, exported.text
    rows = exported.text.splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == expected(filed, "-urgency")


def problem_type(response):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["type"].rsplit(":", 1)[1]


def tampered(cursor, after):
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["after"] = after
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_an_unknown_sort_or_a_cursor_of_another_order_is_a_422(client, filed):
    by_revenue = client.get(f"{API}/requests", params={"sort": "-revenue_at_stake", "limit": 2})
    cursor = by_revenue.json()["next_cursor"]

    for sort in ("revenue_at_stake", "-title", "urgency", ""):
        assert problem_type(client.get(f"{API}/requests", params={"sort": sort})) == (
            "validation-error"
        )
    other_order = client.get(f"{API}/requests", params={"sort": "-urgency", "cursor": cursor})
    assert problem_type(other_order) == "validation-error"
    assert "other filters" in other_order.json()["detail"]
    for after in (["soon", 3], [True, 3], [5000, "3"], [5000], None, [2**60, 3]):
        forged = client.get(
            f"{API}/requests",
            params={"sort": "-revenue_at_stake", "limit": 2, "cursor": tampered(cursor, after)},
        )
        assert problem_type(forged) == "validation-error", after


def test_a_cursor_value_the_order_cannot_hold_is_a_422_not_a_database_error(client, filed):
    by_urgency = client.get(f"{API}/requests", params={"sort": "-urgency", "limit": 2})
    cursor = by_urgency.json()["next_cursor"]

    for after in ([3000000000, 5], [0, 5], [5, 5], [-1, 5]):
        forged = client.get(
            f"{API}/requests",
            params={"sort": "-urgency", "limit": 2, "cursor": tampered(cursor, after)},
        )
        assert problem_type(forged) == "validation-error", after


@pytest.mark.parametrize(
    ("sort", "index"),
    [("-revenue_at_stake", "ix_request_revenue_order"), ("-urgency", "ix_request_urgency_order")],
)
def test_each_order_by_a_value_reads_its_index_on_the_first_and_later_pages(
    engine, backend, sort, index
):
    first = RequestFilters(sort=RequestSort(sort))
    cursor = encode_cursor([3, 40], list_name=REQUESTS, params=first, kind=AFTER)
    later = first.model_copy(update={"cursor": cursor})
    explain = "EXPLAIN QUERY PLAN" if backend == "sqlite" else "EXPLAIN"
    with engine.connect() as connection:
        if backend == "postgresql":  # else an empty table is read whole and sorted
            connection.exec_driver_sql("SET enable_seqscan = off")
            connection.exec_driver_sql("SET enable_sort = off")
        for filters in (first, later):
            query, parameters = query_for(filters, backend, REQUESTS)
            assert parameters is not None
            compiled = query.compiled_for(engine.dialect)
            plan = connection.exec_driver_sql(
                f"{explain} {compiled.sql}", compiled.parameters(parameters)
            )
            assert index in " ".join(str(row) for row in plan), (sort, filters.cursor)
