"""A bad file is refused whole: 422 naming every bad line and why (or 415 for what is not
a CSV or JSON lines file), and not one request is written."""

from typing import Any

import anyio
import pytest

from app.events.journal import Journal
from app.transfer import importer
from tests import factories
from tests.transfer.helpers import (
    CSV,
    IMPORT_URL,
    NDJSON,
    bad_lines,
    csv_file,
    import_errors,
    json_lines,
    problem,
    request_count,
    upload,
)

HEADER = ["title", "stakeholder_id", "channel", "need_id", "source_system", "external_id"]


@pytest.fixture
def stakeholder(client):
    return factories.stakeholder(client, email="known@example.com")


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(client, stakeholder):
    sid = stakeholder["id"]
    file = csv_file(
        HEADER,
        ["Good", sid, "email", "", "", ""],  # line 2
        ["", sid, "email", "", "", ""],  # line 3: no title
        ["Bad channel", sid, "pigeon", "", "", ""],  # line 4
        ["Good too", sid, "", "", "", ""],  # line 5
        ["Ghost stakeholder", 987654, "", "", "", ""],  # line 6
        ["Ghost need", sid, "", 987654, "", ""],  # line 7
        ["Half a reference", sid, "", "", "crm", ""],  # line 8
        ["Not a number", "seven", "", "", "", ""],  # line 9
    )

    response = upload(client, file)

    errors = import_errors(response)
    assert bad_lines(response) == [3, 4, 6, 7, 8, 9]
    locs = [error["loc"] for error in errors]
    assert ["body", "line", 3, "title"] in locs
    assert ["body", "line", 4, "channel"] in locs
    assert ["body", "line", 6, "stakeholder_id"] in locs
    assert ["body", "line", 7, "need_id"] in locs
    assert ["body", "line", 9, "stakeholder_id"] in locs
    assert any(e["loc"][2] == 8 and "together" in e["msg"] for e in errors)
    assert "6 lines" in response.json()["detail"]
    assert request_count(client) == 0


def test_a_bad_row_at_the_end_of_a_long_file_undoes_the_rows_before_it(client, stakeholder):
    rows = [[f"Request {n}", stakeholder["id"], "", "", "", ""] for n in range(2500)]
    rows.append(["Last", stakeholder["id"], "carrier pigeon", "", "", ""])

    response = upload(client, csv_file(HEADER, *rows))

    assert bad_lines(response) == [2502]
    assert request_count(client) == 0


def test_references_used_twice_in_the_file_or_already_taken_are_bad_rows(client, stakeholder):
    sid = stakeholder["id"]
    existing = factories.request(client, stakeholder_id=sid, source_system="crm", external_id="1")
    file = csv_file(
        HEADER,
        ["Taken", sid, "", "", "crm", "1"],  # line 2
        ["First", sid, "", "", "crm", "2"],  # line 3
        ["Same again", sid, "", "", "crm", "2"],  # line 4
        ["Other system", sid, "", "", "zendesk", "2"],  # line 5: fine
    )

    response = upload(client, file)

    errors = import_errors(response)
    assert bad_lines(response) == [2, 4]
    messages = {error["loc"][2]: error["msg"] for error in errors}
    assert f"Request {existing['id']}" in messages[2]
    assert "line 3" in messages[4]
    assert request_count(client) == 1


def test_stakeholder_email_problems_are_reported_on_their_line(client, stakeholder):
    other = factories.stakeholder(client)
    file = csv_file(
        ["title", "stakeholder_email", "stakeholder_id"],
        ["Unknown e-mail", "nobody@example.com", ""],  # line 2
        ["Disagreeing", "known@example.com", other["id"]],  # line 3
        ["Neither", "", ""],  # line 4
        ["Fine", "known@example.com", ""],  # line 5
    )

    response = upload(client, file)

    errors = import_errors(response)
    assert bad_lines(response) == [2, 3, 4]
    assert [e["loc"] for e in errors] == [
        ["body", "line", 2, "stakeholder_email"],
        ["body", "line", 3, "stakeholder_email"],
        ["body", "line", 4, "stakeholder_id"],
    ]
    assert request_count(client) == 0


def test_json_lines_are_checked_as_post_checks_json(client, stakeholder):
    sid = stakeholder["id"]
    file = b"\n".join(
        [
            json_lines({"title": "Fine", "stakeholder_id": sid}).strip(),  # line 1
            b'{"title": "Broken", ',  # line 2
            b'["not", "an", "object"]',  # line 3
            json_lines({"title": "Id as text", "stakeholder_id": str(sid)}).strip(),  # line 4
            json_lines({"title": "X", "stakeholder_id": sid, "colour": "red"}).strip(),  # 5
            json_lines({"title": None, "stakeholder_id": sid}).strip(),  # line 6
        ]
    )

    response = upload(client, file, NDJSON)

    errors = import_errors(response)
    assert bad_lines(response) == [2, 3, 4, 5, 6]
    locs = [error["loc"] for error in errors]
    assert ["body", "line", 4, "stakeholder_id"] in locs  # "5" is not an id, as in POST
    assert ["body", "line", 5, "colour"] in locs
    assert ["body", "line", 6, "title"] in locs
    assert request_count(client) == 0


# --- the header ---------------------------------------------------------------------------


def test_header_problems_are_named_before_any_row_is_read(client, stakeholder):
    file = csv_file(
        ["description", "colour", "channel", "channel", ""],
        ["words", "red", "email", "email", ""],
        ["", "", "carrier pigeon", "", ""],
    )

    response = upload(client, file)

    errors = import_errors(response)
    assert all(error["loc"][:3] == ["body", "line", 1] for error in errors)
    messages = " | ".join(error["msg"] for error in errors)
    assert "unknown column 'colour'" in messages
    assert "column 'channel' is repeated" in messages
    assert "column 5 has no name" in messages
    assert "missing column 'title'" in messages
    assert "stakeholder_id or stakeholder_email" in messages
    assert "pigeon" not in messages
    assert request_count(client) == 0


def test_errors_echo_at_most_a_short_part_of_a_name_from_the_file(client, stakeholder):
    long_name = "x" * 10_000
    header = upload(client, csv_file(["title", "stakeholder_id", long_name], ["T", 1, "v"]))
    row = json_lines({"title": "T", "stakeholder_id": stakeholder["id"], long_name: 1})

    for response in (header, upload(client, row, NDJSON)):
        (error,) = import_errors(response)
        assert len(error["loc"][3]) <= 64
        assert len(response.text) < 2000


def test_a_file_separated_by_semicolons_gets_a_hint(client):
    response = upload(client, b"title;stakeholder_id\nA;1\n")

    assert "use ','" in import_errors(response)[0]["msg"]


# --- bytes that are not CSV text --------------------------------------------------------


def test_bytes_that_are_not_utf8_are_reported_on_their_line(client, stakeholder):
    file = csv_file(["title", "stakeholder_id"], ["Fine", stakeholder["id"]])
    file += "Café au lait,{}\n".format(stakeholder["id"]).encode("latin-1")  # line 3
    file += csv_file(["Fine again", stakeholder["id"]])  # line 4

    response = upload(client, file)

    (error,) = import_errors(response)
    assert error["loc"] == ["body", "line", 3]
    assert "UTF-8" in error["msg"]
    assert request_count(client) == 0


def test_a_header_that_is_not_utf8_is_a_header_problem(client):
    response = upload(client, "títle,stakeholder_id\n".encode("latin-1"))

    (error,) = import_errors(response)
    assert error["loc"] == ["body", "line", 1]


@pytest.mark.parametrize("content_type", [CSV, NDJSON])
def test_a_nul_byte_is_reported_on_its_line(client, stakeholder, content_type):
    sid = stakeholder["id"]
    if content_type == CSV:
        file = csv_file(["title", "stakeholder_id"], ["Fine", sid], ["Nul\x00here", sid])
        line = 3
    else:
        file = json_lines({"title": "Fine", "stakeholder_id": sid}) + b'{"title": "\x00"}\n'
        line = 2

    response = upload(client, file, content_type)

    (error,) = import_errors(response)
    assert error["loc"] == ["body", "line", line]
    assert "NUL" in error["msg"]
    assert request_count(client) == 0


def test_unbalanced_quotes_are_reported_where_the_cell_starts(client, stakeholder):
    sid = stakeholder["id"]
    file = f'title,stakeholder_id\nFine,{sid}\n"Never closed,{sid}\nFine,{sid}\n'.encode()

    response = upload(client, file)

    errors = import_errors(response)
    assert bad_lines(response) == [3]
    assert "never closed" in errors[0]["msg"]
    assert request_count(client) == 0


def test_a_stray_quote_after_a_closing_quote_is_reported(client, stakeholder):
    file = f'title,stakeholder_id\n"Closed" early,{stakeholder["id"]}\n'.encode()

    response = upload(client, file)

    assert bad_lines(response) == [2]
    assert "quote" in import_errors(response)[0]["msg"]


def test_rows_with_too_few_or_too_many_cells_are_bad(client, stakeholder):
    file = f"title,stakeholder_id\nShort\nLong,{stakeholder['id']},extra\n".encode()

    response = upload(client, file)

    assert bad_lines(response) == [2, 3]
    assert "the header has 2" in import_errors(response)[0]["msg"]


def test_a_line_longer_than_any_row_can_be_is_refused_without_holding_it(client, stakeholder):
    file = csv_file(["title", "stakeholder_id"], ["x" * (2 * 1024 * 1024), stakeholder["id"]])

    response = upload(client, file)

    assert bad_lines(response) == [2]
    assert request_count(client) == 0


# --- empty files and the wrong kind of file -------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", CSV),
        (b"\n\r\n", CSV),
        (b"title,stakeholder_id\n", CSV),  # a header, no rows
        (b"title,stakeholder_id\n\n,\n", CSV),
        (b"", NDJSON),
        (b"\n  \n", NDJSON),
    ],
    ids=["empty", "blank lines", "header only", "header and blank rows", "empty", "blank"],
)
def test_a_file_without_rows_is_a_422(client, content, content_type):
    response = upload(client, content, content_type)

    assert import_errors(response)
    assert "nothing was imported" in response.json()["detail"]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "text/csv; charset=latin-1",
    ],
)
def test_a_body_that_is_not_csv_or_json_lines_in_utf8_is_a_415(client, stakeholder, content_type):
    file = csv_file(["title", "stakeholder_id"], ["T", stakeholder["id"]])

    response = upload(client, file, content_type)

    body = problem(response, 415)
    assert "text/csv" in body["detail"]
    assert "text/csv" in response.headers["Accept-Post"]
    assert request_count(client) == 0


@pytest.mark.parametrize("content_type", ["text/csv; charset=utf-8", 'TEXT/CSV; Charset="UTF-8"'])
def test_the_content_type_may_name_utf8(client, stakeholder, content_type):
    file = csv_file(["title", "stakeholder_id"], ["T", stakeholder["id"]])

    assert upload(client, file, content_type).status_code == 201


def test_the_response_lists_a_bounded_number_of_problems_but_counts_them_all(client):
    rows = [[f"Ghost {n}", 987654] for n in range(1500)]

    response = upload(client, csv_file(["title", "stakeholder_id"], *rows))

    errors = import_errors(response)
    assert len(errors) == 1000
    assert [e["loc"][2] for e in errors] == list(range(2, 1002))
    assert "1500 lines" in response.json()["detail"]


# --- a write that fails, an upload cut short -------------------------------------------
# On PostgreSQL a batch is written in a thread of its own while the next is read, and
# checked on a second connection when the pool has one idle (else on the import's own).


@pytest.fixture(params=["spare connection", "no spare connection"])
def pool(request, engine, monkeypatch):
    if request.param == "no spare connection":
        monkeypatch.setattr(engine.pool, "checkedout", lambda: engine.pool.size())
    return request.param


def test_a_batch_that_cannot_be_written_undoes_the_whole_import(
    client, stakeholder, monkeypatch, pool
):
    file = csv_file(["title", "stakeholder_id"], *[["R", stakeholder["id"]]] * 2500)
    journal_of = importer.journal_of
    batches = []

    def first_batch_without_event_type(*args: Any) -> Journal:
        made = journal_of(*args)
        batches.append(made)
        if len(batches) == 1:
            made.events[-1]["type"] = None  # NOT NULL: the batch's last insert fails
        return made

    monkeypatch.setattr(importer, "journal_of", first_batch_without_event_type)
    response = upload(client, file)

    # The write's own error, not what the next batch's checks met after it.
    problem(response, 409)
    assert request_count(client) == 0
    assert client.get("/api/v1/audit", params={"entity": "request"}).json()["items"] == []
    assert client.get("/api/v1/events").json()["items"][-1]["type"] == "stakeholder.created"
    monkeypatch.setattr(importer, "journal_of", journal_of)
    assert upload(client, file).status_code == 201  # and the connection is fine after it


def test_an_upload_cut_short_writes_nothing_and_gets_no_answer(app, client, stakeholder, pool):
    file = csv_file(["title", "stakeholder_id"], *[["Cut", stakeholder["id"]]] * 2500)
    chunks = [file[: len(file) // 2]]  # half the file, then the client is gone
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": True}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = {"authorization": client.headers["Authorization"], "content-type": CSV}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": IMPORT_URL,
        "raw_path": IMPORT_URL.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)

    assert sent == []  # the client is gone: nobody to answer
    assert request_count(client) == 0
    assert upload(client, file).status_code == 201
