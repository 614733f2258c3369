-- Personal data at rest (issue 10): attachments sealed, a check value per
-- data key, rows that cannot be opened set aside, key rotation progress.

-- Every key that data may be sealed with: its id (what sealed values carry)
-- and a keyed check value, so that a wrong or missing key stops start-up
-- instead of sealing new data with a key nobody can open the old with.
-- retired_at is set when a rotation has sealed everything anew.
CREATE TABLE data_keys (
	key_id TEXT NOT NULL PRIMARY KEY,
	check_value TEXT NOT NULL,
	created_at TEXT NOT NULL,
	retired_at TEXT
);

-- 1 when data holds sealed bytes; rows from before hold them in clear.
ALTER TABLE attachments ADD COLUMN data_sealed INTEGER NOT NULL DEFAULT 0;

ALTER TABLE draft_media ADD COLUMN data_sealed INTEGER NOT NULL DEFAULT 0;

-- Rows that could not be opened (damaged, or moved from elsewhere), kept for
-- whoever recovers them and out of the way of everybody else. sealed keeps
-- the stored value of a row that left its table (a dialog session); a kf
-- message or callback stays in its table, marked done.
CREATE TABLE set_aside (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	tbl TEXT NOT NULL,
	col TEXT NOT NULL,
	row_key TEXT NOT NULL,
	open_kfid TEXT NOT NULL DEFAULT '',
	external_userid TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL,
	sealed TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

CREATE INDEX set_aside_row ON set_aside (tbl, row_key);

-- How far a key rotation has come, table by table: re-running continues.
CREATE TABLE rekey_progress (
	key_id TEXT NOT NULL,
	tbl TEXT NOT NULL,
	last_key TEXT NOT NULL,
	done INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (key_id, tbl)
);
