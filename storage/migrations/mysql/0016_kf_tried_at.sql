-- A kf message's retry waits run from its last attempt, not from its
-- arrival: one that waited behind an earlier message of the same citizen
-- would otherwise spend all its attempts at once. NULL until it is tried.

ALTER TABLE kf_messages ADD COLUMN tried_at DATETIME(6) NULL;
