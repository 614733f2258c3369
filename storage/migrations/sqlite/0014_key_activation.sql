-- When a data key became the key in use: recorded, or taken up again after it
-- was retired. The key in use is the newest of the keys not retired; replicas
-- seal with it (see storage/keyring.go). NULL for keys recorded before this
-- column, whose created_at says the same.
ALTER TABLE data_keys ADD COLUMN activated_at TEXT;
