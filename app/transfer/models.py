"""Import and export of requests (and export of decisions): formats, columns, filters."""

from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.errors import Unprocessable
from app.decisions.models import DecisionRead
from app.decisions.service import DecisionFieldFilters
from app.requests.models import RequestCreate, RequestRead
from app.requests.service import RequestFieldFilters


class ImportFormat(StrEnum):
    csv = "csv"
    json_lines = "json_lines"


# Content-Type (without parameters) -> format. JSON lines has no registered type yet.
IMPORT_MEDIA_TYPES = {
    "text/csv": ImportFormat.csv,
    "application/x-ndjson": ImportFormat.json_lines,
    "application/jsonl": ImportFormat.json_lines,
    "application/x-jsonlines": ImportFormat.json_lines,
}

# What a row may set: the fields of POST /requests, and the stakeholder by e-mail instead.
IMPORT_FIELDS = frozenset(RequestCreate.model_fields) | {"stakeholder_email"}
# The read model of a request, flattened, in its order (a field added to it is exported
# too): its stakeholder's e-mail after its id (so the file can be imported where ids
# differ), its effective decision's id and outcome after its status.
_FLATTENED = {
    "stakeholder_id": ("stakeholder_id", "stakeholder_email"),
    "status": ("status", "decision_id", "decision_outcome"),
    "decision": (),
}
REQUEST_COLUMNS = tuple(
    column for field in RequestRead.model_fields for column in _FLATTENED.get(field, (field,))
)
# What the export (or GET /requests) shows but a client cannot set: accepted and ignored,
# so an export can be imported again as it is.
READ_ONLY_FIELDS = (
    frozenset(REQUEST_COLUMNS) | frozenset(RequestRead.model_fields)
) - IMPORT_FIELDS
DECISION_COLUMNS = tuple(DecisionRead.model_fields)


class ImportResult(BaseModel):
    created: int = Field(description="How many requests were created: one per row.")
    first_id: int = Field(
        description="The first new request's id: the new ids run in file order from it to "
        "last_id, though other writers' requests may take ids in between."
    )
    last_id: int = Field(description="The last new request's id.")


class InvalidImport(Unprocessable):
    """The file is refused as a whole; `errors` locates each problem by line. Whatever
    its problems, the body's schema (a string) could not have foretold them."""


# An export is not paged: it takes the lists' filters, and limit or cursor is a 422.
RequestExportFilters = RequestFieldFilters
DecisionExportFilters = DecisionFieldFilters
