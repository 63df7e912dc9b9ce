"""event ids in commit order on PostgreSQL, given at COMMIT by a deferred trigger

Revision ID: b5e08d2c4f17
Revises: 7c1f4e2a9b30
Create Date: 2026-11-26 01:00:00

A poller following the change feed's cursor must never skip an event, so event ids
must follow commit order. Until now each writer took an advisory lock before inserting
its events and held it to COMMIT: every writer waited for the one ahead of it to finish
its round trips to the client. Now an event is inserted with a draft id (negative, from
its own sequence), and a constraint trigger deferred to COMMIT takes the lock and gives
the transaction's events their ids in order: the lock is held only while the server
commits. SQLite needs none of this: its writers are serialized, so ids follow commits.
Deliveries get an index on event_id: renumbering checks their foreign key.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b5e08d2c4f17"
down_revision: str | None = "7c1f4e2a9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FEED_LOCK_ID = 0x72716576  # "rqev"

POSTGRES_UPGRADE = [
    "CREATE SEQUENCE event_draft_id_seq INCREMENT BY -1 MAXVALUE -1 START WITH -1 "
    "OWNED BY event.id",
    "ALTER TABLE event ALTER COLUMN id SET DEFAULT nextval('event_draft_id_seq')",
    # The lock id is a constant of this file, not input.
    f"""
    CREATE FUNCTION event_ids_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        lowest bigint;
        drafts bigint;
        first_id bigint;
    BEGIN
        -- An id given explicitly (a restore) is final already. Otherwise once per
        -- transaction: the first row's call numbers all of its drafts.
        IF NEW.id > 0 OR NOT EXISTS (SELECT 1 FROM event WHERE id = NEW.id) THEN
            RETURN NULL;
        END IF;
        PERFORM pg_advisory_xact_lock({FEED_LOCK_ID});
        -- Drafts count down as they are drawn: the first row's is the highest, the one
        -- this session drew last the lowest. Between them lie only other transactions'
        -- drafts, invisible here (uncommitted, or renumbered and dead): the range, not
        -- every id below zero, keeps this quick as dead drafts pile up until VACUUM.
        lowest := currval('event_draft_id_seq');
        SELECT count(*) INTO drafts FROM event WHERE id BETWEEN lowest AND NEW.id AND id < 0;
        -- Only this function draws final ids, under the lock: reserve a range at once.
        first_id := nextval('event_id_seq');
        PERFORM setval('event_id_seq', first_id + drafts - 1);
        -- id DESC is insertion order.
        UPDATE event SET id = first_id + numbered.position - 1
        FROM (
            SELECT id, row_number() OVER (ORDER BY id DESC) AS position
            FROM event WHERE id BETWEEN lowest AND NEW.id AND id < 0
        ) AS numbered
        WHERE event.id = numbered.id;
        RETURN NULL;
    END $$
    -- As its owner: the app's role may lack UPDATE on event_id_seq (setval).
    SECURITY DEFINER SET search_path FROM CURRENT
    """,  # noqa: S608
    "CREATE CONSTRAINT TRIGGER event_ids_in_commit_order AFTER INSERT ON event "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION event_ids_in_commit_order()",
]
POSTGRES_DOWNGRADE = [
    "DROP TRIGGER event_ids_in_commit_order ON event",
    "DROP FUNCTION event_ids_in_commit_order()",
    "ALTER TABLE event ALTER COLUMN id SET DEFAULT nextval('event_id_seq')",
    "DROP SEQUENCE event_draft_id_seq",
]


def upgrade() -> None:
    # Renumbering an event checks the deliveries that reference it: by index, not by a
    # scan of every delivery ever made (which also made COMMITs wait on the feed lock).
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_delivery_event_id"), ["event_id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWNGRADE:
            op.execute(statement)
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_event_id"))
