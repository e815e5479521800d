-- Schema history (issue 6): every DDL command of a source that Recall's event trigger recorded, as capture workers
-- report it (SchemaChanged on recall.catalog). A command is identified by the commit LSN of its transaction and its
-- position among that transaction's DDL commands: a report repeated after a worker's crash is the same row.
CREATE TABLE schema_changes (
    source_id    UUID        NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    commit_lsn   BIGINT      NOT NULL,
    commit_time  TIMESTAMP WITH TIME ZONE NOT NULL,
    -- 32-bit xid as pgoutput carries it
    xid          BIGINT      NOT NULL,
    ordinal      INTEGER     NOT NULL,
    command_tag  TEXT        NOT NULL,
    -- [{"objectType", "identity", "action", "replayed"}] as the event trigger named them
    objects      JSONB       NOT NULL,
    -- the change could not be recorded exactly (a gap and a new base backup follow)
    approximate  BOOLEAN     NOT NULL,
    recorded_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (source_id, commit_lsn, ordinal)
);

-- How the capture worker says it captures the source's DDL (SourceStatusReport.ddlCapture): EVENT_TRIGGER or NONE,
-- over MESSAGE or TABLE, and why. NULL until a worker has reported it. V1's ddl_capture_mode is what the probe expects
-- (EVENT_TRIGGER or SNAPSHOT_DIFF, rewritten by each probe); these columns are what capture actually does.
ALTER TABLE sources ADD COLUMN ddl_capture_reported_mode VARCHAR(32);
ALTER TABLE sources ADD COLUMN ddl_capture_transport VARCHAR(32);
ALTER TABLE sources ADD COLUMN ddl_capture_detail TEXT;
