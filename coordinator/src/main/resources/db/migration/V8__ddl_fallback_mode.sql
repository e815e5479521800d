-- The probe's name for DDL capture without event triggers is FALLBACK (it derives changes from the stream and the
-- catalog rather than comparing schema snapshots).
UPDATE sources SET ddl_capture_mode = 'FALLBACK' WHERE ddl_capture_mode = 'SNAPSHOT_DIFF';
