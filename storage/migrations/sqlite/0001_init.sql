-- Initial schema. Append-only: never edit a file once it has been applied;
-- add a new numbered file instead. Times are UTC text, "YYYY-MM-DD hh:mm:ss.ffffff".
-- Sealed columns hold pii.Sealer output; *_index columns hold blind indexes.

CREATE TABLE case_counters (
	day TEXT NOT NULL PRIMARY KEY,
	n INTEGER NOT NULL
);

CREATE TABLE cases (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	number TEXT NOT NULL UNIQUE,
	open_kfid TEXT NOT NULL DEFAULT '',
	reporter_id TEXT NOT NULL DEFAULT '',
	reporter_name TEXT NOT NULL DEFAULT '',
	affected_name TEXT NOT NULL DEFAULT '',
	affected_id_number TEXT NOT NULL DEFAULT '',
	affected_phone TEXT NOT NULL DEFAULT '',
	affected_phone_index TEXT NOT NULL DEFAULT '',
	relation TEXT NOT NULL DEFAULT '',
	consent TEXT NOT NULL DEFAULT '',
	contact_phone TEXT NOT NULL DEFAULT '',
	contact_phone_index TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL DEFAULT '',
	tried_window TEXT NOT NULL DEFAULT '',
	tried_when TEXT NOT NULL DEFAULT '',
	tried_answer TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	lead_dept TEXT NOT NULL DEFAULT '',
	co_depts TEXT NOT NULL DEFAULT '[]',
	assignee TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	deadline TEXT,
	limit_days INTEGER NOT NULL DEFAULT 0,
	light TEXT NOT NULL DEFAULT '',
	accountability TEXT NOT NULL DEFAULT '',
	common_tag TEXT NOT NULL DEFAULT '',
	merged_into TEXT NOT NULL DEFAULT '',
	resolution TEXT NOT NULL DEFAULT '',
	satisfaction INTEGER NOT NULL DEFAULT 0,
	reopened INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	resolved_at TEXT,
	closed_at TEXT,
	version INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_light ON cases (light, id);
CREATE INDEX cases_lead_dept ON cases (lead_dept, id);
CREATE INDEX cases_category ON cases (category, id);
CREATE INDEX cases_assignee ON cases (assignee, id);
CREATE INDEX cases_reporter ON cases (reporter_id, id);
CREATE INDEX cases_created ON cases (created_at);
CREATE INDEX cases_contact_phone ON cases (contact_phone_index);
CREATE INDEX cases_affected_phone ON cases (affected_phone_index);

-- Every department of a case, lead and co-handling, for the department filter.
CREATE TABLE case_depts (
	dept TEXT NOT NULL,
	case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	PRIMARY KEY (dept, case_id)
);

CREATE INDEX case_depts_case ON case_depts (case_id);

CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	at TEXT NOT NULL,
	actor TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	data TEXT NOT NULL DEFAULT ''
);

CREATE INDEX events_case ON events (case_id, id);

CREATE TABLE attachments (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	kind TEXT NOT NULL DEFAULT '',
	media_id TEXT NOT NULL DEFAULT '',
	file_name TEXT NOT NULL DEFAULT '',
	content_type TEXT NOT NULL DEFAULT '',
	size INTEGER NOT NULL DEFAULT 0,
	data BLOB,
	created_at TEXT NOT NULL
);

CREATE INDEX attachments_case ON attachments (case_id, id);

CREATE TABLE outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL DEFAULT 0,
	channel TEXT NOT NULL,
	open_kfid TEXT NOT NULL DEFAULT '',
	recipient TEXT NOT NULL DEFAULT '',
	message TEXT NOT NULL,
	priority INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	wecom_msgid TEXT NOT NULL DEFAULT '',
	merged_into INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	sent_at TEXT
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
CREATE INDEX outbox_recipient ON outbox (open_kfid, recipient, status, id);
CREATE INDEX outbox_case ON outbox (case_id, id);

CREATE TABLE contacts (
	open_kfid TEXT NOT NULL,
	external_userid TEXT NOT NULL,
	last_inbound_at TEXT,
	sent_in_window INTEGER NOT NULL DEFAULT 0,
	service_state INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (open_kfid, external_userid)
);

CREATE TABLE inbound (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	dedupe_key TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	received_at TEXT NOT NULL,
	done_at TEXT,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);

CREATE INDEX inbound_pending ON inbound (done_at, id);

CREATE TABLE kf_messages (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	msgid TEXT NOT NULL UNIQUE,
	open_kfid TEXT NOT NULL DEFAULT '',
	external_userid TEXT NOT NULL DEFAULT '',
	origin INTEGER NOT NULL DEFAULT 0,
	msgtype TEXT NOT NULL DEFAULT '',
	send_time TEXT,
	raw TEXT NOT NULL DEFAULT '',
	received_at TEXT NOT NULL,
	done_at TEXT,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);

CREATE INDEX kf_messages_pending ON kf_messages (done_at, id);

CREATE TABLE kf_cursors (
	open_kfid TEXT NOT NULL PRIMARY KEY,
	next_cursor TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE sessions (
	skey TEXT NOT NULL PRIMARY KEY,
	data TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
