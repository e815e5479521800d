-- The catalog of stored segments.

-- A segment that holds no transaction (only heartbeats and sequence snapshots of an idle source) has no commit
-- times; it still advances the archived watermark, whose server time is kept with it.
ALTER TABLE segments ALTER COLUMN first_commit_time DROP NOT NULL;
ALTER TABLE segments ALTER COLUMN last_commit_time DROP NOT NULL;
ALTER TABLE segments ADD COLUMN watermark_time TIMESTAMP WITH TIME ZONE;
ALTER TABLE segments ADD COLUMN change_count BIGINT NOT NULL DEFAULT 0;
-- retention deletes segments by their last LSN
CREATE INDEX segments_source_last_idx ON segments (source_id, last_lsn);
