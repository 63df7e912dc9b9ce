"""The notices sender as real processes: two servers sharing one database mail each
notice once; a sender killed mid-send is replaced and the notice goes again with its
Message-ID; a mail server down, then up, gets every notice once."""

import re
import secrets
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.mail.helpers import SENDER
from tests.mail.smtp_server import Inbox, smtp_server
from tests.notices.processes import StallingInbox, mail_server_down, sender_process, wait_for
from tests.ops.server_process import Served, serve

# Every process: notices due as soon as owed and looked for often (the tests wait on the
# senders, not on the clock); and few database connections, as PostgreSQL's 100 are shared
# by the processes of a test and by whatever else runs on that server meanwhile.
SENDING = {
    "notice_delay_seconds": "0",
    "notice_poll_seconds": "0.05",
    "mail_from": SENDER,
    "db_pool_size": "2",
    "db_max_overflow": "1",
}
MESSAGE_ID = re.compile(r"<notice-(\d+)@reqtrack\.example>")
# A duplicate sending would be on its way already: it starts when its claim is made.
SETTLE_SECONDS = 0.3


@contextmanager
def api(server: Served) -> Iterator[httpx.Client]:
    """A manager's view of the API of one server (the admin's token). A server error
    fails with what the server logged."""

    def no_server_error(response: httpx.Response) -> None:
        # 503 says "retry shortly" (the shared server's connections ran out): created() does.
        if response.status_code >= 500 and response.status_code != 503:
            response.read()
            raise AssertionError(f"{response.status_code} {response.text}\n{tails(server.log)}")

    with httpx.Client(
        base_url=f"{server.url}/api/v1",
        headers=server.login(),
        timeout=30,
        event_hooks={"response": [no_server_error]},
    ) as client:
        yield client


def retried(call: Callable[[], httpx.Response]) -> httpx.Response:
    """The call, again after a 503 (the database busy: "retry shortly"), a few seconds at most."""
    response = call()
    for _ in range(50):
        if response.status_code != 503:
            break
        time.sleep(0.1)
        response = call()
    return response


def created(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST, retried on a 503 as a client should: with one Idempotency-Key, so a retry
    can never write twice."""
    key = {"Idempotency-Key": secrets.token_hex(8)}
    response = retried(lambda: client.post(path, json=body, headers=key))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def person_with_a_request(client: httpx.Client, n: int) -> int:
    """A stakeholder with an e-mail address and one request of theirs; the request's id."""
    person = created(
        client, "/stakeholders", {"name": f"Stakeholder {n}", "email": f"person{n}@example.com"}
    )
    return int(
        created(client, "/requests", {"title": f"Ask {n}", "stakeholder_id": person["id"]})["id"]
    )


def decline(client: httpx.Client, request_id: int) -> None:
    created(client, f"/requests/{request_id}/decisions", {"outcome": "declined", "why": "Not now"})


def notices(client: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    response = retried(lambda: client.get("/notices", params={"limit": "200", **filters}))
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None  # all on one page
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def all_sent(client: httpx.Client, count: int) -> bool:
    return len(notices(client, status="sent")) == count


def announced_as_sent(client: httpx.Client) -> list[int]:
    """The notice of each notice.sent event on the change feed, in feed order."""
    ids: list[int] = []
    params = {"type": "notice.sent", "limit": "200"}
    while True:
        page = retried(lambda: client.get("/events", params=params))
        assert page.status_code == 200, page.text
        if not page.json()["items"]:
            return ids
        ids += [event["data"]["id"] for event in page.json()["items"]]
        params["after"] = page.json()["next_cursor"]


def tails(*logs: Path, lines: int = 15) -> str:
    """The last lines each process wrote: why a wait was in vain."""
    return "\n".join(
        f"--- {log}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        for log in logs
    )


def notice_id_of(message: Any) -> int:
    matched = MESSAGE_ID.fullmatch(message["Message-ID"])
    assert matched, message["Message-ID"]
    return int(matched[1])


def arrivals(inbox: Inbox) -> Counter[int]:
    """How many times each notice arrived, by the Message-ID it arrived with."""
    with inbox.lock:
        return Counter(notice_id_of(received.message) for received in inbox.received)


@pytest.mark.parametrize(
    # Several servers on one database is a PostgreSQL deployment: SQLite is one file on one
    # machine, with one writer at a time and no row locks for senders to skip.
    "own_database_url",
    ["postgresql"],
    indirect=True,
)
def test_two_servers_on_one_database_mail_each_notice_exactly_once(
    own_database_url: str, tmp_path: Path
) -> None:
    people = 16
    with smtp_server(Inbox()) as inbox:
        # No sender is killed here: a long lease keeps a slowed one from being taken over.
        settings = SENDING | {"smtp_url": inbox.url, "notice_lease_seconds": "60"}
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        with (
            serve(own_database_url, tmp_path / "a", **settings) as a,
            serve(own_database_url, tmp_path / "b", **settings) as b,
            api(a) as on_a,
            api(b) as on_b,
        ):

            def tell(n: int) -> None:
                # Written and decided through both servers, while both senders run.
                first, second = (on_a, on_b) if n % 2 else (on_b, on_a)
                decline(second, person_with_a_request(first, n))

            with ThreadPoolExecutor(max_workers=4) as burst:
                list(burst.map(tell, range(people)))
            wait_for(
                lambda: all_sent(on_b, people),
                seconds=30,
                what=lambda: f"every notice sent\n{tails(a.log, b.log)}",
            )
            time.sleep(SETTLE_SECONDS)
            every = notices(on_a)
            announced = announced_as_sent(on_b)

    assert len(every) == people
    assert {notice["status"] for notice in every} == {"sent"}
    received = arrivals(inbox)
    assert received == Counter({notice["id"]: 1 for notice in every})
    assert len(inbox.received) == people
    assert sorted(announced) == sorted(notice["id"] for notice in every)


# The lease outlasts the longest wait and send (twice the SMTP timeout), so only a dead
# sender's notice is taken over; the stalled send is killed well within its 1.5 s (else
# it would end `pending`, not `sending`).
KILLABLE = {"smtp_timeout_seconds": "1.5", "notice_lease_seconds": "3.5"}


def test_a_sender_killed_mid_send_is_replaced_and_its_notice_goes_again_with_one_message_id(
    own_database_url: str, tmp_path: Path
) -> None:
    people = 5
    stalling = StallingInbox()
    with (
        smtp_server(stalling) as inbox,
        serve(own_database_url, tmp_path, notice_sender_enabled="false", **SENDING) as server,
        api(server) as client,
    ):
        for n in range(people):
            decline(client, person_with_a_request(client, n))
        settings = SENDING | KILLABLE | {"smtp_url": inbox.url}

        with sender_process(own_database_url, tmp_path / "first", **settings) as first:
            assert stalling.stalled.wait(timeout=30), first.output()
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
        stalled = notice_id_of(inbox.received[0].message)  # the first DATA, kept, unanswered
        in_flight = retried(lambda: client.get(f"/notices/{stalled}")).json()
        assert in_flight["status"] == "sending", in_flight

        with sender_process(own_database_url, tmp_path / "second", **settings) as second:
            wait_for(
                lambda: all_sent(client, people),
                seconds=30,
                what=lambda: f"every notice sent\n{tails(second.log)}",
            )
            time.sleep(SETTLE_SECONDS)
        every = notices(client)
        announced = announced_as_sent(client)

    received = arrivals(inbox)
    assert set(received) == {notice["id"] for notice in every}
    assert received[stalled] == 2  # the server kept it, but its sender never heard so
    assert set(received.values()) <= {1, 2}
    # A repeat is the same message: each person got one Message-ID, however many times.
    ids_by_person: dict[str, set[str]] = {}
    for each in inbox.received:
        ids_by_person.setdefault(each.rcpt_tos[0], set()).add(each.message["Message-ID"])
    assert len(ids_by_person) == people
    assert all(len(ids) == 1 for ids in ids_by_person.values()), ids_by_person
    assert {notice["status"] for notice in every} == {"sent"}
    assert sorted(announced) == sorted(received)


def test_notices_wait_out_a_mail_server_that_is_down_and_each_arrives_once_it_is_up(
    own_database_url: str, tmp_path: Path
) -> None:
    people = 5
    retrying = {
        "notice_backoff_base_seconds": "0.1",
        "notice_backoff_max_seconds": "0.5",
        # Enough tries at most 0.5 s apart that a slowed machine does not use them up.
        "notice_max_attempts": "60",
    }
    with mail_server_down() as (smtp_url, start):
        settings = SENDING | retrying | {"smtp_url": smtp_url}
        with serve(own_database_url, tmp_path, **settings) as server, api(server) as client:
            for n in range(people):
                decline(client, person_with_a_request(client, n))

            def each_tried_and_refused() -> bool:
                found = notices(client)
                return len(found) == people and all(
                    notice["attempts"] >= 1 and "could not connect" in (notice["last_error"] or "")
                    for notice in found
                )

            wait_for(
                each_tried_and_refused,
                seconds=30,
                what=lambda: f"each notice tried once\n{tails(server.log)}",
            )
            inbox = start(Inbox())
            wait_for(
                lambda: all_sent(client, people),
                seconds=30,
                what=lambda: f"every notice sent\n{tails(server.log)}",
            )
            time.sleep(SETTLE_SECONDS)
            every = notices(client)
            announced = announced_as_sent(client)

    assert arrivals(inbox) == Counter({notice["id"]: 1 for notice in every})
    assert len(inbox.received) == people
    assert all(notice["attempts"] >= 2 for notice in every)
    assert all(notice["last_error"] is None for notice in every)
    assert sorted(announced) == sorted(notice["id"] for notice in every)
