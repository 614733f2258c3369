-- Stored callbacks are listed the least tried first (PendingInbound), so
-- that after an outage of WeCom a new callback is not left out of the page
-- by those waiting for their next try; the index serves that order, so a
-- backlog of thousands is read a page at a time, not sorted whole each round.
CREATE INDEX inbound_pending_attempts ON inbound (done_at, attempts, id);
DROP INDEX inbound_pending;
