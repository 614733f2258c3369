-- A stored callback counts its own failures apart from its attempts: a kf
-- pull that could not be made (WeCom away, the pullers' lease out of reach)
-- is an attempt, which orders the listing and spaces the tries, but not a
-- failure of the callback's, which alone give it up (intake's maxAttempts).
-- Until now every attempt counted was such a failure, but for the pulls that
-- could not be made that a build without this column counted in attempts
-- (last_error "could not pull: …"): those callbacks have no failure of
-- their own yet.
ALTER TABLE inbound ADD COLUMN failures INT NOT NULL DEFAULT 0;
UPDATE inbound SET failures = CASE WHEN last_error LIKE 'could not pull:%' THEN 0 ELSE attempts END WHERE done_at IS NULL;
