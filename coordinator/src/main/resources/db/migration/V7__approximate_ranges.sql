-- Approximate ranges (issue 6, ApproximateRange on recall.catalog): fallback DDL capture (no event triggers) saw a
-- schema change it cannot rebuild exactly, so a restore to a target in [from_lsn, to_lsn) replays across it only
-- approximately. Unlike a gap, a target inside one is accepted, and the restore says so. to_lsn is NULL while open:
-- the next completed base backup whose consistent point is past from_lsn closes it there. The id is derived from the
-- source, from_lsn and reason, so a report repeated after a worker's crash is the same row.
CREATE TABLE approximate_ranges (
    id          UUID    NOT NULL PRIMARY KEY,
    source_id   UUID    NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    from_lsn    BIGINT  NOT NULL,
    to_lsn      BIGINT,
    reason      TEXT    NOT NULL,
    detected_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX approximate_ranges_source_idx ON approximate_ranges (source_id, from_lsn);

-- Whether a restore replays across an approximate range, as the coordinator judged it when it accepted the job, and
-- why. NULL when it did not judge: an xid target (only the worker resolves it), or a job written straight to
-- recall.restore-jobs.
ALTER TABLE restores ADD COLUMN approximate BOOLEAN;
ALTER TABLE restores ADD COLUMN approximate_reason TEXT;
