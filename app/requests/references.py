"""What new or changed requests point at, looked up for one request (POST, PATCH, PUT) or
for many at once (an import's batch), and the one rule and message for each reference
that does not hold."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlmodel import Session, col, select

from app.core.filters import one_of
from app.core.models import referenced_table
from app.requests.models import Request
from app.stakeholders.models import Stakeholder

# The needs a request may be filed under, by its key's target (their package builds on
# this one: it is not imported here).
NEED_TABLE = referenced_table(Request.__table__.c.need_id)  # type: ignore[attr-defined]
ExternalReference = tuple[str, str]  # (source_system, external_id)


@dataclass(frozen=True)
class Broken:
    """A reference that does not hold: the field that makes it, and why."""

    field: str
    message: str
    # Another request holds it (a conflict), rather than nothing being there.
    taken: bool = False


@dataclass
class References:
    """The references some requests make, and which of them exist or are taken."""

    stakeholders: set[int] = field(default_factory=set)
    needs: set[int] = field(default_factory=set)
    taken: dict[ExternalReference, int] = field(default_factory=dict)

    def broken(self, fields: dict[str, Any]) -> list[Broken]:
        """What does not hold among the references in `fields` (a request's, or a
        change's: absent fields are not checked)."""
        found = []
        stakeholder_id = fields.get("stakeholder_id")
        if stakeholder_id is not None and stakeholder_id not in self.stakeholders:
            found.append(missing_stakeholder(stakeholder_id))
        need_id = fields.get("need_id")
        if need_id is not None and need_id not in self.needs:
            found.append(Broken("need_id", f"Need {need_id} does not exist."))
        reference = (fields.get("source_system"), fields.get("external_id"))
        holder = self.taken.get(cast(ExternalReference, reference))
        if holder is not None:
            system, external_id = reference
            found.append(
                Broken(
                    "external_id",
                    f"Request {holder} already has the reference {system}/{external_id}; "
                    "use PUT /api/v1/requests/external/{source_system}/{external_id} to "
                    "update it.",
                    taken=True,
                )
            )
        return found


def missing_stakeholder(stakeholder_id: int) -> Broken:
    return Broken("stakeholder_id", f"Stakeholder {stakeholder_id} does not exist.")


def look_up(session: Session, requests: Iterable[dict[str, Any]]) -> References:
    """The references the requests' fields make, each kind in one query."""
    stakeholder_ids, need_ids = set(), set()
    by_system: dict[str, set[str]] = defaultdict(set)
    for fields in requests:
        if fields.get("stakeholder_id") is not None:
            stakeholder_ids.add(fields["stakeholder_id"])
        if fields.get("need_id") is not None:
            need_ids.add(fields["need_id"])
        if fields.get("source_system") is not None and fields.get("external_id") is not None:
            by_system[fields["source_system"]].add(fields["external_id"])
    postgres = session.get_bind().dialect.name == "postgresql"
    return References(
        stakeholders=_existing(session, col(Stakeholder.id), stakeholder_ids, postgres),
        needs=_existing(session, NEED_TABLE.c.id, need_ids, postgres),
        taken=_taken(session, by_system, postgres),
    )


def _existing(session: Session, id_column: Any, ids: set[int], postgres: bool) -> set[int]:
    if not ids:
        return set()
    found = session.execute(select(id_column).where(one_of(id_column, ids, postgres)))
    return {id_ for (id_,) in found}


def _taken(
    session: Session, by_system: dict[str, set[str]], postgres: bool
) -> dict[ExternalReference, int]:
    taken: dict[ExternalReference, int] = {}
    # Per system, so the lookups use the (source_system, external_id) unique index.
    for system, external_ids in by_system.items():
        found = session.exec(
            select(Request.external_id, Request.id).where(
                Request.source_system == system,
                one_of(col(Request.external_id), external_ids, postgres),
            )
        )
        taken |= {(system, e): id_ for e, id_ in found if e is not None and id_ is not None}
    return taken
