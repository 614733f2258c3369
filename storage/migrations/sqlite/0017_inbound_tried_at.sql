-- A stored callback's retry waits run from its last attempt, not from its
-- arrival, as a kf message's do (0016): one that waited long (a pull of its
-- account busy, a pause of WeCom's) would otherwise spend its attempts with
-- no wait between them. NULL until it is tried.

ALTER TABLE inbound ADD COLUMN tried_at TEXT;
