"""event ids reserved in bulk on PostgreSQL, for writes of thousands of events

Revision ID: e3f9a0c5d7b1
Revises: d7b2e4a8c1f9
Create Date: 2026-11-26 09:00:00

Migration b5e08d2c4f17 gives a transaction's draft events their ids at COMMIT, under the
feed lock, by renumbering them: an UPDATE of every draft. For an import's 50k events that
was 1.1-2.5 s of its COMMIT, all of it under the lock every other writer's COMMIT waits
for. `event_ids_reserved(how_many)` lets such a write take the lock itself, once it is
otherwise done, and insert its events with their final ids at once. The trigger now
fires only for drafts (WHEN NEW.id < 0): events with final ids, restored or reserved,
queue nothing for COMMIT (50k calls of it were 0.3 s more).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e3f9a0c5d7b1"
down_revision: str | None = "d7b2e4a8c1f9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FEED_LOCK_ID = 0x72716576  # "rqev", as in b5e08d2c4f17
TRIGGER = (
    "CREATE CONSTRAINT TRIGGER event_ids_in_commit_order AFTER INSERT ON event "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when}"
    "EXECUTE FUNCTION event_ids_in_commit_order()"
)

POSTGRES_UPGRADE = [
    # The lock id is a constant of this file, not input.
    f"""
    CREATE FUNCTION event_ids_reserved(how_many bigint) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        first_id bigint;
    BEGIN
        -- It runs as its owner: no caller moves the sequence back, or reserves nothing.
        IF how_many IS NULL OR how_many < 1 THEN
            RAISE EXCEPTION 'event_ids_reserved: how_many must be 1 or more, not %', how_many;
        END IF;
        -- Held to COMMIT, as the trigger holds it: ids follow commit order.
        PERFORM pg_advisory_xact_lock({FEED_LOCK_ID});
        first_id := nextval('event_id_seq');
        PERFORM setval('event_id_seq', first_id + how_many - 1);
        RETURN first_id;
    END $$
    -- As its owner: the app's role may lack UPDATE on event_id_seq (setval).
    SECURITY DEFINER SET search_path FROM CURRENT
    """,  # noqa: S608
    "DROP TRIGGER event_ids_in_commit_order ON event",
    TRIGGER.format(when="WHEN (NEW.id < 0) "),
]
POSTGRES_DOWNGRADE = [
    "DROP TRIGGER event_ids_in_commit_order ON event",
    TRIGGER.format(when=""),
    "DROP FUNCTION event_ids_reserved(bigint)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWNGRADE:
            op.execute(statement)
