-- The channel each case came in by: 'wecom' (微信客服, every case before
-- this migration) or 'open311' (another system through Open311 GeoReport
-- v2).

ALTER TABLE cases ADD COLUMN source TEXT NOT NULL DEFAULT 'wecom';
