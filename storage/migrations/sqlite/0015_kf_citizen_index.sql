-- Handling is by citizen: workers list the citizens with unhandled kf
-- messages, oldest first, and read one citizen's messages in order. This
-- index holds the unhandled messages together, by citizen and in order, so
-- both cost what is pending, not what the table has handled.

CREATE INDEX kf_messages_citizen ON kf_messages (done_at, open_kfid, external_userid, id);
