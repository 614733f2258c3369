-- The channel each case came in by: 'wecom' (微信客服, every case before
-- this migration) or 'open311' (another system through Open311 GeoReport
-- v2). One statement per step: MySQL commits DDL implicitly.

ALTER TABLE cases ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'wecom';
