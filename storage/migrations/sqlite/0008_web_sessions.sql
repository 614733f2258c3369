-- Staff sessions of the web pages. The browser's cookie carries a random
-- session id; only a keyed hash of it is kept here, so that a copy of this
-- table signs nobody in. A row goes at sign-out, at "sign out everywhere"
-- (all rows of the member), and once expired (expires_at: the earlier of
-- 8 hours after the last request and 24 hours after sign-in).

CREATE TABLE web_sessions (
	id_hash TEXT NOT NULL PRIMARY KEY,
	user_id TEXT NOT NULL,
	created_at TEXT NOT NULL,
	seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);

CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
