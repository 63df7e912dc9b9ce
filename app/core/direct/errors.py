"""The drivers' errors as the app's handlers expect them."""

from collections.abc import Iterator
from contextlib import contextmanager

from app.core.errors import DatabaseUnavailable


@contextmanager
def unavailable_as_503(*errors: type[Exception]) -> Iterator[None]:
    """The driver's "cannot reach / busy" errors answered like the ORM's: 503."""
    try:
        yield
    except errors as exc:
        raise DatabaseUnavailable(str(exc)) from exc
