-- Files a citizen sends while a report is still a draft. The dialog session
-- keeps only their ids: bytes in the session made it too large to save.
-- Like attachments, the bytes are not sealed. Rows go when the draft is
-- submitted, cancelled or expires (the dialog deletes them by session key).

CREATE TABLE draft_media (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	session_key TEXT NOT NULL,
	kind TEXT NOT NULL DEFAULT '',
	media_id TEXT NOT NULL DEFAULT '',
	file_name TEXT NOT NULL DEFAULT '',
	content_type TEXT NOT NULL DEFAULT '',
	size INTEGER NOT NULL DEFAULT 0,
	data BLOB,
	created_at TEXT NOT NULL
);

CREATE INDEX draft_media_session ON draft_media (session_key, id);
