-- Rate-limit events for deployments on MySQL without Redis (storage.DBRateLimiter):
-- one row per allowed event, its time in microseconds by the MySQL server's
-- clock so that replicas with skewed clocks agree. The key is a hash of the
-- limiter's key. SQLite never needs it: one process, in-process limits.

CREATE TABLE rate_events (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	rate_key CHAR(40) NOT NULL,
	at_us BIGINT NOT NULL,
	KEY rate_events_key_at (rate_key, at_us)
) ENGINE=InnoDB;
