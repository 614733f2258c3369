-- Exactly-once effects on the message path (issue 10 item 5, issue 12 item 5).
-- outbox.version: every state change is conditional on the version read, so a
-- stale copy is never written back (and sent again). outbox.send_key: the
-- idempotency key sent with the message (kf send_msg's msgid), stable across
-- retries and restarts. outbox.purpose: what a message is for when its fate
-- depends on it ("nudge": an invitation to reply, never a phone task).
-- contacts.inbound_seq counts the citizen's messages, so a message in the
-- same second as the last still opens a new window; outbox.reply_to_seq is
-- the count of the citizen message a reply answers (0: not a reply).
-- One statement per step: MySQL commits DDL implicitly.

ALTER TABLE outbox ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

ALTER TABLE outbox ADD COLUMN send_key VARCHAR(32) NOT NULL DEFAULT '';

ALTER TABLE outbox ADD COLUMN purpose VARCHAR(16) NOT NULL DEFAULT '';

ALTER TABLE contacts ADD COLUMN inbound_seq BIGINT NOT NULL DEFAULT 0;

ALTER TABLE outbox ADD COLUMN reply_to_seq BIGINT NOT NULL DEFAULT 0;
