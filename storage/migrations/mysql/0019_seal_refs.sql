-- What outbox rows and timeline events seal (a message, an event's body and
-- data) is bound to seal_ref: a random reference set before the row is
-- inserted, so that the row is written sealed in one INSERT instead of an
-- INSERT and an UPDATE that seals it by its new id (issue 12 item 4). Rows
-- written before keep '' and stay bound to their id (storage/seal.go).
-- outbox.send_key cannot serve: a message held or refused goes out again
-- under a fresh send_key. One statement per step: MySQL commits DDL
-- implicitly.

ALTER TABLE outbox ADD COLUMN seal_ref VARCHAR(32) NOT NULL DEFAULT '';

ALTER TABLE events ADD COLUMN seal_ref VARCHAR(32) NOT NULL DEFAULT '';
