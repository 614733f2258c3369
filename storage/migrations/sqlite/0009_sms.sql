-- Texts owed by SMS (issue 13): an urgent message to a citizen whose WeChat
-- window is closed goes by SMS, at most once per event (event_key unique).
-- The phone number is not stored here: it is read from the case, sealed, at
-- the moment of sending. params (what the text says) is sealed.

CREATE TABLE sms_messages (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	event_key TEXT NOT NULL UNIQUE,
	case_id INTEGER NOT NULL,
	outbox_id INTEGER NOT NULL DEFAULT 0,
	urgent TEXT NOT NULL,
	params TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	provider_id TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	sent_at TEXT
);

CREATE INDEX sms_due ON sms_messages (status, next_attempt_at, id);

CREATE INDEX sms_case ON sms_messages (case_id, id);
