-- Files a citizen sends while a report is still a draft. The dialog session
-- keeps only their ids: bytes in the session made it too large to save.
-- Like attachments, the bytes are not sealed. Rows go when the draft is
-- submitted, cancelled or expires (the dialog deletes them by session key).
-- One statement per step: MySQL commits DDL implicitly.

CREATE TABLE draft_media (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	session_key VARCHAR(255) NOT NULL,
	kind VARCHAR(16) NOT NULL DEFAULT '',
	media_id VARCHAR(255) NOT NULL DEFAULT '',
	file_name VARCHAR(255) NOT NULL DEFAULT '',
	content_type VARCHAR(128) NOT NULL DEFAULT '',
	size BIGINT NOT NULL DEFAULT 0,
	data LONGBLOB NULL,
	created_at DATETIME(6) NOT NULL,
	KEY draft_media_session (session_key, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
