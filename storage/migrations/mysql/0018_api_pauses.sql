-- WeCom's pauses of an API (45009, 45033) for deployments on MySQL without
-- Redis (storage.DBPauses): one row per API, the end of its pause in
-- microseconds by the MySQL server's clock, so that every replica waits the
-- same pause. SQLite never needs it: one process, pauses in process.

CREATE TABLE api_pauses (
	api VARCHAR(128) NOT NULL PRIMARY KEY,
	until_us BIGINT NOT NULL
) ENGINE=InnoDB;
