-- Restore jobs. The coordinator decides and records; restore workers run the jobs from recall.restore-jobs and report
-- on recall.restore-events. V1's restore_jobs was a placeholder that nothing but retention's "is a backup in use"
-- query ever read; restores replaces it. V1's restore_points already holds named points (source_id, name, lsn,
-- point_time, created_at; one name per source) and stays as it is.
DROP TABLE restore_jobs;

CREATE TABLE restores (
    id                     UUID         NOT NULL PRIMARY KEY,
    -- no foreign key: a restore's history outlives its source, and a job written straight to recall.restore-jobs may
    -- name a source this coordinator does not know
    source_id              UUID         NOT NULL,
    status                 VARCHAR(16)  NOT NULL,
    -- the target as requested, one of {"lsn"}, {"time"}, {"xid"}, {"restorePoint"}, {"latest"}; null only while the
    -- row holds nothing but a worker's event that arrived before the request itself
    target                 JSONB,
    inclusive              BOOLEAN      NOT NULL,
    -- what the coordinator resolved when it accepted the job: the durable watermark for latest, the named point's LSN
    latest_lsn             BIGINT,
    restore_point_lsn      BIGINT,
    -- the whole target connection string sealed by SecretCipher ("v1:<keyId>:<base64>"), as it travels in Kafka;
    -- target_display is the same string with its password masked, for the API and logs
    target_connection_ciphertext TEXT,
    target_display         TEXT,
    mode                   VARCHAR(16)  NOT NULL,
    create_database        BOOLEAN      NOT NULL,
    -- "schema.table" / "schema.*" to restore; null = every captured table
    tables                 JSONB,
    -- API (POST /api/v1/restores), KAFKA (written straight to the topic), EVENT (known only from a worker's event)
    submitted_via          VARCHAR(8)   NOT NULL,
    requested_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    requested_by           TEXT,
    started_at             TIMESTAMP WITH TIME ZONE,
    finished_at            TIMESTAMP WITH TIME ZONE,
    cancel_requested       BOOLEAN      NOT NULL,
    -- the latest progress a worker reported
    phase                  VARCHAR(32),
    message                TEXT,
    segments_total         BIGINT,
    segments_applied       BIGINT,
    bytes_total            BIGINT,
    bytes_read             BIGINT,
    transactions_applied   BIGINT,
    rows_applied           BIGINT,
    rows_per_second        DOUBLE PRECISION,
    eta_seconds            BIGINT,
    base_backup_id         UUID,
    -- every transaction with commit LSN below it is applied
    cutoff_lsn             BIGINT,
    restored_lsn           BIGINT,
    restored_time          TIMESTAMP WITH TIME ZONE,
    error                  TEXT,
    worker                 TEXT,
    -- grows when a worker restarts the job after another died; null until a worker reported
    attempt                INTEGER,
    updated_at             TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX restores_requested_idx ON restores (requested_at);
CREATE INDEX restores_source_idx ON restores (source_id, requested_at);
CREATE INDEX restores_base_backup_idx ON restores (base_backup_id);
