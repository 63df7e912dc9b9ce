"""Fixtures the notices tests share."""

import pytest

from tests.mail.smtp_server import Inbox, smtp_server
from tests.notices.helpers import app_settings


@pytest.fixture
def inbox():
    """A real SMTP server in the test process, keeping what it receives."""
    with smtp_server(Inbox()) as inbox:
        yield inbox


@pytest.fixture
def no_delay(app):
    """Notices due as soon as they are owed."""
    with app_settings(app, notice_delay_seconds=0) as settings:
        yield settings
