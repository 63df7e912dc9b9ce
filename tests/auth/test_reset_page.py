"""The page an admin's password-reset link opens: a form that sets the password once,
whose mistakes are shown beside their fields without ever putting a password back into
the page; every dead link gets the same 410 page; headers keep the token private."""

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from app.auth import passwords
from app.auth.models import Role
from app.core.types import utcnow
from tests.auth.helpers import API, PASSWORD, create_user, forged_reset_tokens
from tests.auth.test_passwords import NEW_PASSWORD, log_in, me_status, reset_token_of
from tests.portal.helpers import page_text

PAGE = "/password-reset"
GONE = "This link no longer works; ask an admin for a new one."


def made_link(client, user_id):
    """The link's path and query, as the user's browser asks for it, and its token."""
    made = client.post(f"{API}/users/{user_id}/password-reset")
    assert made.status_code == 200, made.text
    url = urlsplit(made.json()["reset_url"])
    return f"{url.path}?{url.query}", reset_token_of(made.json())


def send(browser, token, new, again=None):
    fields = {
        "token": token,
        "new_password": new,
        "confirm_password": new if again is None else again,
    }
    return browser.post(PAGE, data=fields, follow_redirects=False)


def assert_private(page):
    headers = page.headers
    assert headers["content-type"].startswith("text/html")
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "form-action 'self'" in policy
    assert "script-src" not in policy
    assert headers["referrer-policy"] == "no-referrer"
    assert "no-store" in headers["cache-control"]
    assert headers["x-frame-options"] == "DENY"
    assert "<script" not in page.text


def password_inputs(page):
    return re.findall(r'<input type="password"[^>]*>', page.text)


def test_the_link_opens_a_form_with_its_token_hidden_in_it(client, anonymous):
    user = create_user(client, Role.viewer)
    path, token = made_link(client, user["id"])

    page = anonymous.get(path)

    assert page.status_code == 200, page.text
    assert_private(page)
    assert f'<input type="hidden" name="token" value="{token}">' in page.text
    assert f'<form method="post" action="{PAGE}" novalidate>' in page.text
    assert [re.search(r'name="(\w+)"', field)[1] for field in password_inputs(page)] == [
        "new_password",
        "confirm_password",
    ]
    assert "Set your password" in page_text(page)
    assert "There is a problem" not in page.text
    assert user["email"] not in page.text  # nothing stored about the user is shown


def test_a_head_checks_the_link_without_using_it_up(client, anonymous):
    user = create_user(client, Role.viewer)
    path, token = made_link(client, user["id"])

    checked = anonymous.head(path)

    assert checked.status_code == 200
    assert checked.content == b""
    assert send(anonymous, token, NEW_PASSWORD).status_code == 200


def test_a_good_password_is_set_once_and_ends_every_older_token(client, anonymous):
    user = create_user(client, Role.contributor)
    old_token = log_in(anonymous, user["email"])
    path, token = made_link(client, user["id"])

    done = send(anonymous, token, NEW_PASSWORD)

    assert done.status_code == 200, done.text
    assert_private(done)
    assert "Your password is set. Log in with it." in page_text(done)
    assert token not in done.text
    assert NEW_PASSWORD not in done.text
    assert "<form" not in done.text
    assert me_status(anonymous, old_token) == 401
    assert log_in(anonymous, user["email"]) == 401
    new_token = log_in(anonymous, user["email"], NEW_PASSWORD)
    assert isinstance(new_token, str)
    assert me_status(anonymous, new_token) == 200
    # The link is used up: its page, and the form sent again, tell only that.
    for used in (anonymous.get(path), send(anonymous, token, "yet another long passphrase")):
        assert used.status_code == 410
        assert_private(used)
        assert GONE in page_text(used)
        assert "<form" not in used.text
        assert token not in used.text
    assert isinstance(log_in(anonymous, user["email"], NEW_PASSWORD), str)


@pytest.mark.parametrize(
    ("new", "again", "field", "message"),
    [
        ("qwerty123456", None, "new_password", "one of the most common passwords"),
        ("Password1234!", None, "new_password", "one of the most common passwords"),
        ("qwerty123456", "qwerty1234567", "new_password", "one of the most common passwords"),
        ("{local}-is-my-name", None, "new_password", "must not contain your e-mail address"),
        ("short one", None, "new_password", "must be 12 to 1024 characters"),
        ("", "", "new_password", "Enter a new password"),
        (NEW_PASSWORD, "a new and rather long passphrasE", "confirm_password", "do not match"),
        (NEW_PASSWORD, "", "confirm_password", "Enter the new password again"),
        ("x" * 1025 + "y", None, "new_password", "must be 12 to 1024 characters"),
        (NEW_PASSWORD, "z" * 5000, "confirm_password", "must be 1024 characters or fewer"),
        ("a long one with a \x00 in it", None, "new_password", "must not contain a NUL"),
    ],
)
def test_a_mistake_is_shown_beside_its_field_and_the_password_never_again(
    client, anonymous, new, again, field, message
):
    user = create_user(client, Role.viewer)
    path, token = made_link(client, user["id"])
    new = new.format(local=user["email"].partition("@")[0])

    page = send(anonymous, token, new, again)

    assert page.status_code == 422, page.text
    assert_private(page)
    summary = re.search(r'<div class="error-summary".*?</div>', page.text, re.DOTALL)
    assert summary is not None
    assert re.search(rf'<a href="#{field}">[^<]*{re.escape(message)}', summary[0])
    assert page.text.index("error-summary") < page.text.index("<form")
    # The error right above its field, and the field described by it.
    error = re.search(
        rf'<p id="{field}-error" class="error-message">(.*?)</p>\s*<input[^>]*>', page.text
    )
    assert error is not None, page.text
    assert message in error[1]
    assert f'id="{field}"' in error[0]
    assert 'aria-invalid="true"' in error[0]
    assert f"{field}-error" in re.search(r'aria-describedby="([^"]*)"', error[0])[1]
    assert "<title>Error: Set your password</title>" in page.text
    # Nothing typed comes back: no value on a password field, no password anywhere.
    assert all("value=" not in field_html for field_html in password_inputs(page))
    for typed in {new, again or new} - {""}:
        assert typed not in page.text
    assert user["email"] not in page.text
    # The form again, with the same link, which still works; nothing was changed.
    assert f'name="token" value="{token}"' in page.text
    assert isinstance(log_in(anonymous, user["email"]), str)
    assert anonymous.get(path).status_code == 200
    assert send(anonymous, token, NEW_PASSWORD).status_code == 200


def test_only_the_first_mistake_of_each_field_is_shown_and_both_are_summed_up(client, anonymous):
    user = create_user(client, Role.viewer)
    _, token = made_link(client, user["id"])

    page = send(anonymous, token, "short", "")

    assert page.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', page.text, re.DOTALL)[0]
    assert re.findall(r'<a href="#(\w+)">', summary) == ["new_password", "confirm_password"]


def test_a_refused_password_is_said_at_once_not_after_it_is_typed_twice_alike(client, anonymous):
    user = create_user(client, Role.viewer)
    _, token = made_link(client, user["id"])

    page = send(anonymous, token, "qwerty123456", "something else entirely")

    assert page.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', page.text, re.DOTALL)[0]
    assert re.findall(r'<a href="#(\w+)">', summary) == ["new_password"]
    assert "most common" in summary
    assert 'id="confirm_password-error"' not in page.text


def test_a_forged_borrowed_or_odd_token_gets_the_same_gone_page(client, anonymous):
    ana, bo = create_user(client, Role.viewer), create_user(client, Role.viewer)
    _, token = made_link(client, ana["id"])
    forged = forged_reset_tokens(token, bo["id"])

    shown = [anonymous.get(PAGE, params={"token": candidate}) for candidate in forged]
    sent = [send(anonymous, candidate, NEW_PASSWORD) for candidate in forged]
    bare = anonymous.get(PAGE)

    for page in [*shown, *sent, bare]:
        assert page.status_code == 410, page.text
        assert_private(page)
    assert len({page.text for page in [*shown, *sent, bare]}) == 1
    assert GONE in page_text(bare)
    assert "<form" not in bare.text
    assert isinstance(log_in(anonymous, ana["email"]), str)
    assert isinstance(log_in(anonymous, bo["email"]), str)


def test_a_link_stops_working_after_an_hour(client, anonymous, monkeypatch):
    user = create_user(client, Role.viewer)
    path, token = made_link(client, user["id"])
    an_hour_later = utcnow() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(passwords, "utcnow", lambda: an_hour_later)

    assert anonymous.get(path).status_code == 410
    assert send(anonymous, token, NEW_PASSWORD).status_code == 410
    assert isinstance(log_in(anonymous, user["email"]), str)


def test_a_new_password_set_another_way_ends_the_link(client, anonymous):
    user = create_user(client, Role.viewer)
    path, token = made_link(client, user["id"])
    _, other = made_link(client, user["id"])

    assert send(anonymous, other, NEW_PASSWORD).status_code == 200

    assert anonymous.get(path).status_code == 410
    assert send(anonymous, token, "yet another long passphrase").status_code == 410
    assert isinstance(log_in(anonymous, user["email"], NEW_PASSWORD), str)


def test_stored_text_never_reaches_the_page(client, anonymous):
    hostile = "<script>alert(1)</script>"
    body = {
        "email": "hostile.reset@example.com",
        "display_name": f'Ana "><img src=x onerror=alert(1)>{hostile}',
        "role": "viewer",
        "password": PASSWORD,
    }
    created = client.post(f"{API}/users", json=body)
    assert created.status_code == 201, created.text
    path, token = made_link(client, created.json()["id"])

    pages = [
        anonymous.get(path),
        send(anonymous, token, "qwerty123456"),
        send(anonymous, token, NEW_PASSWORD),
    ]

    assert [page.status_code for page in pages] == [200, 422, 200]
    for page in pages:
        assert "<script" not in page.text
        assert "<img" not in page.text
        assert "alert(1)" not in page.text
        assert "Ana" not in page_text(page)
        assert "hostile.reset" not in page.text


def test_only_a_form_as_the_page_sends_it_is_read(client, anonymous):
    user = create_user(client, Role.viewer)
    _, token = made_link(client, user["id"])
    body = {"token": token, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}

    as_json = anonymous.post(PAGE, json=body)

    assert as_json.status_code == 415
    assert isinstance(log_in(anonymous, user["email"]), str)


def test_the_token_never_reaches_the_log(client, anonymous, caplog):
    user = create_user(client, Role.viewer)
    path, token = made_link(client, user["id"])

    with caplog.at_level(logging.INFO, logger="reqtrack.access"):
        anonymous.get(path)
        send(anonymous, token, "qwerty123456")
        send(anonymous, token, NEW_PASSWORD)

    logged = " ".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    assert PAGE in logged
    assert token.rpartition(".")[2] not in logged
    assert NEW_PASSWORD not in logged
