-- A citizen's window is counted from the outbox (issue 12 item 4): the kf
-- messages WeCom took for them since their latest message reached us
-- (contacts.window_from) or written down as sent after it opened their
-- window (outbox.window_seq, the contact's inbound_seq read by the
-- settlement itself), plus contacts.sent_in_window, which now holds only
-- what the outbox does not show (WeCom's word that the window is used up).
-- A reply's settlement is then one UPDATE of the outbox, not a transaction
-- that also counts it on the contact. Rows written before keep their
-- sent_in_window, the count kept until now, until the citizen writes, and
-- what is written down as sent from now on counts on top (by window_seq);
-- what was sent before has no window_seq and no window_from to be after, so
-- it is not counted twice. The index finds a window's messages without
-- reading the citizen's others.
-- One statement per step: MySQL commits DDL implicitly.

ALTER TABLE contacts ADD COLUMN window_from TEXT NULL;

ALTER TABLE outbox ADD COLUMN window_seq INTEGER NULL;

CREATE INDEX outbox_window ON outbox (open_kfid, recipient, status, window_seq, sent_at);
