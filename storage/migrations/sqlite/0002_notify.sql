-- The lifecycle loop (issue 5): finding a notification by WeCom's msgid when
-- msg_send_fail names it, citizens whose kf window is about to close, and
-- durable "this fired once" marks for reminders, follow-ups and nudges.

CREATE INDEX outbox_wecom_msgid ON outbox (wecom_msgid);

CREATE INDEX contacts_last_inbound ON contacts (last_inbound_at);

CREATE TABLE once_marks (
	mark_key TEXT NOT NULL PRIMARY KEY,
	marked_at TEXT NOT NULL
);
