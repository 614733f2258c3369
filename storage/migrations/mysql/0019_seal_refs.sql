-- What outbox rows and timeline events seal (a message, an event's body and
-- data) is bound to seal_ref: a random reference set before the row is
-- inserted, so that the row is written sealed in one INSERT instead of an
-- INSERT and an UPDATE that seals it by its new id (issue 12 item 4).
-- outbox.send_key cannot serve: a message held or refused goes out again
-- under a fresh send_key.
--
-- The reference is unique in its table, as every other key a sealed value is
-- bound to (cases.number, inbound.dedupe_key …): a value copied into another
-- row together with its reference is refused by the database instead of
-- opening there. Rows written before have none (NULL, which a unique index
-- lets many rows share) and stay bound to their id (storage/seal.go).
-- One statement per step: MySQL commits DDL implicitly.

ALTER TABLE outbox ADD COLUMN seal_ref VARCHAR(32) NULL;

CREATE UNIQUE INDEX outbox_seal_ref ON outbox (seal_ref);

ALTER TABLE events ADD COLUMN seal_ref VARCHAR(32) NULL;

CREATE UNIQUE INDEX events_seal_ref ON events (seal_ref);
