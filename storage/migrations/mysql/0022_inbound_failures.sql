-- A stored callback counts its own failures apart from its attempts: a kf
-- pull that could not be made (WeCom away, the pullers' lease out of reach)
-- is an attempt, which orders the listing and spaces the tries, but not a
-- failure of the callback's, which alone give it up (intake's maxAttempts).
-- Until now every attempt counted was such a failure.
ALTER TABLE inbound ADD COLUMN failures INT NOT NULL DEFAULT 0;
UPDATE inbound SET failures = attempts WHERE done_at IS NULL;
