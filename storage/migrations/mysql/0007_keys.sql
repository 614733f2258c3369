-- Personal data at rest (issue 10): attachments sealed, a check value per
-- data key, rows that cannot be opened set aside, key rotation progress.
-- One statement per step: MySQL commits DDL implicitly.

-- Every key that data may be sealed with: its id (what sealed values carry)
-- and a keyed check value, so that a wrong or missing key stops start-up
-- instead of sealing new data with a key nobody can open the old with.
-- retired_at is set when a rotation has sealed everything anew.
CREATE TABLE data_keys (
	key_id VARCHAR(16) NOT NULL PRIMARY KEY,
	check_value CHAR(64) NOT NULL,
	created_at DATETIME(6) NOT NULL,
	retired_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- 1 when data holds sealed bytes; rows from before hold them in clear.
ALTER TABLE attachments ADD COLUMN data_sealed INT NOT NULL DEFAULT 0;

ALTER TABLE draft_media ADD COLUMN data_sealed INT NOT NULL DEFAULT 0;

-- Rows that could not be opened (damaged, or moved from elsewhere), kept for
-- whoever recovers them and out of the way of everybody else. sealed keeps
-- the stored value of a row that left its table (a dialog session); a kf
-- message or callback stays in its table, marked done.
CREATE TABLE set_aside (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	tbl VARCHAR(64) NOT NULL,
	col VARCHAR(64) NOT NULL,
	row_key VARCHAR(512) NOT NULL,
	open_kfid VARCHAR(128) NOT NULL DEFAULT '',
	external_userid VARCHAR(128) NOT NULL DEFAULT '',
	reason VARCHAR(64) NOT NULL,
	sealed MEDIUMTEXT NOT NULL,
	created_at DATETIME(6) NOT NULL,
	KEY set_aside_row (tbl, row_key(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- How far a key rotation has come, table by table: re-running continues.
CREATE TABLE rekey_progress (
	key_id VARCHAR(16) NOT NULL,
	tbl VARCHAR(64) NOT NULL,
	last_key VARCHAR(512) NOT NULL,
	done INT NOT NULL DEFAULT 0,
	updated_at DATETIME(6) NOT NULL,
	PRIMARY KEY (key_id, tbl)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
