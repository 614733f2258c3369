-- Initial schema. Append-only: never edit a file once it has been applied;
-- add a new numbered file instead. Each statement is one migration step (MySQL
-- commits DDL implicitly), recorded as it succeeds. Times are UTC DATETIME(6).
-- Sealed columns hold pii.Sealer output; *_index columns hold blind indexes.
-- utf8mb4_bin: WeCom ids and msgids are case-sensitive.

CREATE TABLE case_counters (
	day CHAR(6) NOT NULL PRIMARY KEY,
	n INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cases (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	number VARCHAR(32) NOT NULL,
	open_kfid VARCHAR(128) NOT NULL DEFAULT '',
	reporter_id VARCHAR(128) NOT NULL DEFAULT '',
	reporter_name VARCHAR(255) NOT NULL DEFAULT '',
	affected_name VARCHAR(255) NOT NULL DEFAULT '',
	affected_id_number VARCHAR(255) NOT NULL DEFAULT '',
	affected_phone VARCHAR(255) NOT NULL DEFAULT '',
	affected_phone_index CHAR(32) NOT NULL DEFAULT '',
	relation VARCHAR(64) NOT NULL DEFAULT '',
	consent VARCHAR(255) NOT NULL DEFAULT '',
	contact_phone VARCHAR(255) NOT NULL DEFAULT '',
	contact_phone_index CHAR(32) NOT NULL DEFAULT '',
	category VARCHAR(64) NOT NULL DEFAULT '',
	tried_window VARCHAR(1024) NOT NULL DEFAULT '',
	tried_when VARCHAR(255) NOT NULL DEFAULT '',
	tried_answer TEXT NOT NULL,
	description MEDIUMTEXT NOT NULL,
	lead_dept VARCHAR(64) NOT NULL DEFAULT '',
	co_depts TEXT NOT NULL,
	assignee VARCHAR(128) NOT NULL DEFAULT '',
	status VARCHAR(32) NOT NULL,
	deadline DATETIME(6) NULL,
	limit_days INT NOT NULL DEFAULT 0,
	light VARCHAR(16) NOT NULL DEFAULT '',
	accountability TEXT NOT NULL,
	common_tag VARCHAR(128) NOT NULL DEFAULT '',
	merged_into VARCHAR(32) NOT NULL DEFAULT '',
	resolution MEDIUMTEXT NOT NULL,
	satisfaction INT NOT NULL DEFAULT 0,
	reopened INT NOT NULL DEFAULT 0,
	created_at DATETIME(6) NOT NULL,
	updated_at DATETIME(6) NOT NULL,
	resolved_at DATETIME(6) NULL,
	closed_at DATETIME(6) NULL,
	version INT NOT NULL DEFAULT 0,
	UNIQUE KEY cases_number (number),
	KEY cases_status (status),
	KEY cases_light (light),
	KEY cases_lead_dept (lead_dept),
	KEY cases_category (category),
	KEY cases_assignee (assignee),
	KEY cases_reporter (reporter_id),
	KEY cases_created (created_at),
	KEY cases_contact_phone (contact_phone_index),
	KEY cases_affected_phone (affected_phone_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE case_depts (
	dept VARCHAR(64) NOT NULL,
	case_id BIGINT NOT NULL,
	PRIMARY KEY (dept, case_id),
	KEY case_depts_case (case_id),
	CONSTRAINT case_depts_case_fk FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE events (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	case_id BIGINT NOT NULL,
	at DATETIME(6) NOT NULL,
	actor VARCHAR(255) NOT NULL DEFAULT '',
	kind VARCHAR(32) NOT NULL,
	body MEDIUMTEXT NOT NULL,
	data MEDIUMTEXT NOT NULL,
	KEY events_case (case_id, id),
	CONSTRAINT events_case_fk FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE attachments (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	case_id BIGINT NOT NULL,
	kind VARCHAR(16) NOT NULL DEFAULT '',
	media_id VARCHAR(255) NOT NULL DEFAULT '',
	file_name VARCHAR(255) NOT NULL DEFAULT '',
	content_type VARCHAR(128) NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	data LONGBLOB NULL,
	created_at DATETIME(6) NOT NULL,
	KEY attachments_case (case_id, id),
	CONSTRAINT attachments_case_fk FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE outbox (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	case_id BIGINT NOT NULL DEFAULT 0,
	channel VARCHAR(16) NOT NULL,
	open_kfid VARCHAR(128) NOT NULL DEFAULT '',
	recipient VARCHAR(128) NOT NULL DEFAULT '',
	message MEDIUMTEXT NOT NULL,
	priority INT NOT NULL DEFAULT 0,
	status VARCHAR(16) NOT NULL,
	attempts INT NOT NULL DEFAULT 0,
	next_attempt_at DATETIME(6) NOT NULL,
	last_error TEXT NOT NULL,
	wecom_msgid VARCHAR(255) NOT NULL DEFAULT '',
	merged_into BIGINT NOT NULL DEFAULT 0,
	created_at DATETIME(6) NOT NULL,
	sent_at DATETIME(6) NULL,
	KEY outbox_due (status, next_attempt_at, id),
	KEY outbox_recipient (open_kfid, recipient, status, id),
	KEY outbox_case (case_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE contacts (
	open_kfid VARCHAR(128) NOT NULL,
	external_userid VARCHAR(128) NOT NULL,
	last_inbound_at DATETIME(6) NULL,
	sent_in_window INT NOT NULL DEFAULT 0,
	service_state INT NOT NULL DEFAULT 0,
	updated_at DATETIME(6) NOT NULL,
	PRIMARY KEY (open_kfid, external_userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE inbound (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	dedupe_key VARCHAR(512) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	body MEDIUMTEXT NOT NULL,
	received_at DATETIME(6) NOT NULL,
	done_at DATETIME(6) NULL,
	attempts INT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL,
	UNIQUE KEY inbound_key (dedupe_key),
	KEY inbound_pending (done_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE kf_messages (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	msgid VARCHAR(255) NOT NULL,
	open_kfid VARCHAR(128) NOT NULL DEFAULT '',
	external_userid VARCHAR(128) NOT NULL DEFAULT '',
	origin INT NOT NULL DEFAULT 0,
	msgtype VARCHAR(32) NOT NULL DEFAULT '',
	send_time DATETIME(6) NULL,
	raw MEDIUMTEXT NOT NULL,
	received_at DATETIME(6) NOT NULL,
	done_at DATETIME(6) NULL,
	attempts INT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL,
	UNIQUE KEY kf_messages_msgid (msgid),
	KEY kf_messages_pending (done_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE kf_cursors (
	open_kfid VARCHAR(128) NOT NULL PRIMARY KEY,
	next_cursor VARCHAR(1024) NOT NULL,
	updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
	skey VARCHAR(255) NOT NULL PRIMARY KEY,
	data MEDIUMTEXT NOT NULL,
	updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
