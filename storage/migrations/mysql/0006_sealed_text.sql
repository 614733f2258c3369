-- Names, what citizens typed and what they and staff were told are sealed
-- now (pii.Sealer, as ID and phone numbers always were): cases' names,
-- relation, tried_* and description, events' body and data, outbox messages
-- and file names. A sealed value takes about 4/3 of the plaintext's UTF-8
-- bytes plus about 40 characters, four characters per Chinese character, so the
-- VARCHAR columns among them could no longer hold what they held and become
-- TEXT, and TEXT becomes MEDIUMTEXT. MEDIUMTEXT ones (description,
-- resolution, events, outbox message) keep 16 MB, ample. Like tried_answer,
-- the TEXT columns have no default: every INSERT names them.
-- Rows written before keep their plaintext, which storage reads as it is.
-- One statement per step: MySQL commits DDL implicitly.

ALTER TABLE cases
	MODIFY reporter_name TEXT NOT NULL,
	MODIFY affected_name TEXT NOT NULL,
	MODIFY relation TEXT NOT NULL,
	MODIFY tried_window TEXT NOT NULL,
	MODIFY tried_when TEXT NOT NULL,
	MODIFY tried_answer MEDIUMTEXT NOT NULL;

ALTER TABLE attachments MODIFY file_name TEXT NOT NULL;

ALTER TABLE draft_media MODIFY file_name TEXT NOT NULL;
