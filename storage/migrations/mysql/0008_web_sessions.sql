-- Staff sessions of the web pages. The browser's cookie carries a random
-- session id; only a keyed hash of it is kept here, so that a copy of this
-- table signs nobody in. A row goes at sign-out, at "sign out everywhere"
-- (all rows of the member), and once expired (expires_at: the earlier of
-- 8 hours after the last request and 24 hours after sign-in).
-- One statement per step: MySQL commits DDL implicitly.

CREATE TABLE web_sessions (
	id_hash CHAR(64) NOT NULL PRIMARY KEY,
	user_id VARCHAR(255) NOT NULL,
	created_at DATETIME(6) NOT NULL,
	seen_at DATETIME(6) NOT NULL,
	expires_at DATETIME(6) NOT NULL,
	KEY web_sessions_user (user_id),
	KEY web_sessions_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
