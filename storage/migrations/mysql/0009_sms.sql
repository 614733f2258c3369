-- Texts owed by SMS (issue 13): an urgent message to a citizen whose WeChat
-- window is closed goes by SMS, at most once per event (event_key unique).
-- The phone number is not stored here: it is read from the case, sealed, at
-- the moment of sending. params (what the text says) is sealed.
-- One statement per step: MySQL commits DDL implicitly.

CREATE TABLE sms_messages (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	event_key VARCHAR(191) NOT NULL,
	case_id BIGINT NOT NULL,
	outbox_id BIGINT NOT NULL DEFAULT 0,
	urgent VARCHAR(16) NOT NULL,
	params MEDIUMTEXT NOT NULL,
	status VARCHAR(16) NOT NULL,
	attempts INT NOT NULL DEFAULT 0,
	next_attempt_at DATETIME(6) NOT NULL,
	last_error TEXT NOT NULL,
	provider_id VARCHAR(255) NOT NULL DEFAULT '',
	created_at DATETIME(6) NOT NULL,
	sent_at DATETIME(6) NULL,
	UNIQUE KEY sms_event (event_key),
	KEY sms_due (status, next_attempt_at, id),
	KEY sms_case (case_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
