-- The catalog of stored segments, base-backup schedules, and purged sources.

-- A segment that holds no transaction (only heartbeats and sequence snapshots of an idle source) has no commit
-- times; it still advances the archived watermark, whose server time is kept with it.
ALTER TABLE segments ALTER COLUMN first_commit_time DROP NOT NULL;
ALTER TABLE segments ALTER COLUMN last_commit_time DROP NOT NULL;
ALTER TABLE segments ADD COLUMN watermark_time TIMESTAMP WITH TIME ZONE;
ALTER TABLE segments ADD COLUMN change_count BIGINT NOT NULL DEFAULT 0;
-- retention deletes segments by their last LSN
CREATE INDEX segments_source_last_idx ON segments (source_id, last_lsn);

-- Fire times of the source's baseBackupSchedule up to this one have been handled (a request made, or skipped while
-- paused). NULL: none yet; the schedule counts from the source's creation. Sources that already have a schedule count
-- from now, so that the upgrade does not fire a backup for a fire time long past.
ALTER TABLE sources ADD COLUMN base_backup_scheduled_until TIMESTAMP WITH TIME ZONE;
UPDATE sources SET base_backup_scheduled_until = now() WHERE base_backup_schedule IS NOT NULL;

-- Sources deleted with ?purge=true. Changes still in Kafka when a source was deleted can be sealed into a segment
-- afterwards, and a running base backup can finish: what is announced for a purged source is deleted on arrival.
CREATE TABLE purged_sources (
    id         UUID NOT NULL PRIMARY KEY,
    purged_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
