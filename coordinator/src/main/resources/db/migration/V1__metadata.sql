-- Recall's metadata. LSNs are stored as BIGINT holding the unsigned 64-bit pg_lsn value: real LSNs stay far below
-- 2^63, and BIGINT sorts, indexes and maps to Java's long without a custom type.

CREATE TABLE sources (
    id                   UUID         NOT NULL PRIMARY KEY,
    name                 VARCHAR(200) NOT NULL,
    host                 TEXT         NOT NULL,
    port                 INTEGER      NOT NULL,
    database_name        TEXT         NOT NULL,
    username             TEXT         NOT NULL,
    -- libpq options other than credentials (sslmode, sslrootcert, ...), as a JSON object
    connection_options   JSONB        NOT NULL,
    -- AES-256-GCM ciphertext "v1:<keyId>:<base64>"; the clear password is never stored
    password_ciphertext  TEXT,
    password_key_id      VARCHAR(64),
    -- what the user asked for ("schema.table" / "schema.*") and what it resolved to at the last probe
    table_patterns       JSONB        NOT NULL,
    excluded_tables      JSONB        NOT NULL,
    tables               JSONB        NOT NULL,
    slot_name            VARCHAR(63)  NOT NULL,
    publication_name     VARCHAR(63)  NOT NULL,
    base_backup_schedule VARCHAR(200),
    retention            JSONB,
    system_identifier    VARCHAR(32),
    server_version_num   INTEGER,
    ddl_capture_mode     VARCHAR(32),
    status               VARCHAR(32)  NOT NULL,
    status_detail        TEXT,
    paused               BOOLEAN      NOT NULL,
    -- grows with every change of desired state written to recall.sources
    epoch                BIGINT       NOT NULL,
    durable_lsn          BIGINT,
    durable_commit_time  TIMESTAMP WITH TIME ZONE,
    archived_lsn         BIGINT,
    archived_time        TIMESTAMP WITH TIME ZONE,
    slot_lag_bytes       BIGINT,
    last_error           TEXT,
    created_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    version              INTEGER      NOT NULL,
    CONSTRAINT sources_name_uk UNIQUE (name),
    CONSTRAINT sources_slot_uk UNIQUE (slot_name)
);

-- Every capability report, the one taken at registration and each re-probe.
CREATE TABLE probe_reports (
    id          UUID        NOT NULL PRIMARY KEY,
    source_id   UUID        NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    outcome     VARCHAR(8)  NOT NULL,
    checks      JSONB       NOT NULL,
    server_version TEXT,
    probed_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX probe_reports_source_idx ON probe_reports (source_id, probed_at);

CREATE TABLE base_backups (
    id               UUID        NOT NULL PRIMARY KEY,
    source_id        UUID        NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    status           VARCHAR(16) NOT NULL,
    reason           VARCHAR(32) NOT NULL,
    -- every transaction with commit LSN < consistent_lsn is in the dump; replay starts at it
    consistent_lsn   BIGINT,
    snapshot_time    TIMESTAMP WITH TIME ZONE,
    server_version   TEXT,
    storage_prefix   TEXT,
    total_bytes      BIGINT,
    manifest_sha256  VARCHAR(64),
    error            TEXT,
    requested_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at       TIMESTAMP WITH TIME ZONE,
    finished_at      TIMESTAMP WITH TIME ZONE
);
CREATE INDEX base_backups_source_idx ON base_backups (source_id, consistent_lsn);

CREATE TABLE segments (
    source_id          UUID    NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    first_lsn          BIGINT  NOT NULL,
    last_lsn           BIGINT  NOT NULL,
    first_commit_time  TIMESTAMP WITH TIME ZONE NOT NULL,
    last_commit_time   TIMESTAMP WITH TIME ZONE NOT NULL,
    -- the archived watermark this segment establishes (may pass last_lsn on idle sources)
    watermark_lsn      BIGINT  NOT NULL,
    record_count       BIGINT  NOT NULL,
    transaction_count  BIGINT  NOT NULL,
    stored_bytes       BIGINT  NOT NULL,
    uncompressed_bytes BIGINT  NOT NULL,
    object_key         TEXT    NOT NULL,
    schema_fingerprint VARCHAR(64) NOT NULL,
    sealed_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (source_id, first_lsn, last_lsn)
);

-- Breaks in the change stream (slot lost, WAL removed): no restore target inside one is accepted (I4).
CREATE TABLE stream_gaps (
    id          UUID    NOT NULL PRIMARY KEY,
    source_id   UUID    NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    from_lsn    BIGINT  NOT NULL,
    to_lsn      BIGINT,
    reason      TEXT    NOT NULL,
    detected_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX stream_gaps_source_idx ON stream_gaps (source_id, from_lsn);

CREATE TABLE schema_snapshots (
    id           UUID   NOT NULL PRIMARY KEY,
    source_id    UUID   NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    lsn          BIGINT NOT NULL,
    capture_mode VARCHAR(32) NOT NULL,
    fingerprint  VARCHAR(64) NOT NULL,
    object_key   TEXT,
    ddl          TEXT,
    captured_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX schema_snapshots_source_idx ON schema_snapshots (source_id, lsn);

CREATE TABLE sequence_snapshots (
    id          UUID   NOT NULL PRIMARY KEY,
    source_id   UUID   NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    -- read before the values, so every value is at least its value at this LSN
    lsn         BIGINT NOT NULL,
    sequence_values JSONB NOT NULL,
    captured_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX sequence_snapshots_source_idx ON sequence_snapshots (source_id, lsn);

CREATE TABLE restore_points (
    source_id   UUID         NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    name        VARCHAR(200) NOT NULL,
    lsn         BIGINT       NOT NULL,
    point_time  TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (source_id, name)
);

CREATE TABLE restore_jobs (
    id                         UUID        NOT NULL PRIMARY KEY,
    source_id                  UUID        NOT NULL,
    target                     JSONB       NOT NULL,
    inclusive                  BOOLEAN     NOT NULL,
    target_connection          TEXT        NOT NULL,
    target_password_ciphertext TEXT,
    tables                     JSONB,
    mode                       VARCHAR(16) NOT NULL,
    create_database            BOOLEAN     NOT NULL,
    status                     VARCHAR(16) NOT NULL,
    phase                      VARCHAR(32),
    cutoff_lsn                 BIGINT,
    base_backup_id             UUID,
    segments_total             INTEGER,
    segments_applied           INTEGER,
    rows_applied               BIGINT,
    eta_seconds                BIGINT,
    restored_lsn               BIGINT,
    restored_time              TIMESTAMP WITH TIME ZONE,
    error                      TEXT,
    worker                     TEXT,
    submitted_via              VARCHAR(8)  NOT NULL,
    created_at                 TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at                 TIMESTAMP WITH TIME ZONE NOT NULL,
    version                    INTEGER     NOT NULL
);
CREATE INDEX restore_jobs_source_idx ON restore_jobs (source_id, created_at);

-- API bearer tokens. Only a SHA-256 of each token is kept: tokens are 256-bit random values, so a fast hash is
-- enough to make a leaked table useless.
CREATE TABLE api_tokens (
    id           UUID         NOT NULL PRIMARY KEY,
    name         VARCHAR(200) NOT NULL,
    role         VARCHAR(16)  NOT NULL,
    token_sha256 VARCHAR(64)  NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT api_tokens_name_uk UNIQUE (name),
    CONSTRAINT api_tokens_hash_uk UNIQUE (token_sha256)
);

-- ShedLock's table (shedlock-provider-jdbc-template), for schedules that must run on one coordinator at a time.
CREATE TABLE shedlock (
    name       VARCHAR(64)  NOT NULL PRIMARY KEY,
    lock_until TIMESTAMP WITH TIME ZONE NOT NULL,
    locked_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    locked_by  VARCHAR(255) NOT NULL
);
