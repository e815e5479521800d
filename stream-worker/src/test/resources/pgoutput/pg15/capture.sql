-- Captures the pgoutput fixtures in this directory (slot-v1.txt, slot-v1-binary.txt, slot-v2-streaming.txt).
-- Run once against a throwaway PostgreSQL 15 cluster started with -c wal_level=logical -c track_commit_timestamp=on,
-- in a fresh UTF8 database:  psql -X -A -F ' ' -v ON_ERROR_STOP=1 -d cap -f capture.sql
-- LSNs, xids, OIDs and timestamps differ from run to run; the fixture headers record the ones of the captured run.

-- Part 1: protocol version 1, all message types
SET TIME ZONE 'UTC';
CREATE EXTENSION pg_walinspect;

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);

-- replica identity default ('d'): the primary key
CREATE TABLE items (id integer PRIMARY KEY, name varchar(40), price numeric(10, 2), feeling mood, qty posint, note text);
-- replica identity index ('i'): a unique index that is not the primary key
CREATE TABLE people (id integer NOT NULL, email text NOT NULL, name text);
CREATE UNIQUE INDEX people_email ON people (email);
ALTER TABLE people REPLICA IDENTITY USING INDEX people_email;
-- replica identity full ('f')
CREATE TABLE audit (id bigint, payload text, at timestamp(3));
ALTER TABLE audit REPLICA IDENTITY FULL;
-- replica identity nothing ('n'): inserts only
CREATE TABLE log_only (msg text, level smallint);
ALTER TABLE log_only REPLICA IDENTITY NOTHING;
-- an out-of-line (TOASTed) column, stored uncompressed
CREATE TABLE docs (id integer PRIMARY KEY, title text, body text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
-- truncate ... cascade
CREATE TABLE parent (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));

CREATE PUBLICATION pub FOR ALL TABLES;
SELECT 'init' AS tag, lsn FROM pg_create_logical_replication_slot('slot', 'pgoutput');

CREATE TEMP TABLE marks (tag text, lsn pg_lsn DEFAULT pg_current_wal_lsn(), xid xid8 DEFAULT pg_current_xact_id());

BEGIN; INSERT INTO items VALUES (1, 'apple', 12.50, 'happy', 3, NULL); INSERT INTO marks (tag) VALUES ('insert-items'); COMMIT;
BEGIN; UPDATE items SET name = 'green apple' WHERE id = 1; INSERT INTO marks (tag) VALUES ('update-plain'); COMMIT;
BEGIN; UPDATE items SET id = 2 WHERE id = 1; INSERT INTO marks (tag) VALUES ('update-key'); COMMIT;
BEGIN; DELETE FROM items WHERE id = 2; INSERT INTO marks (tag) VALUES ('delete-key'); COMMIT;
BEGIN; INSERT INTO items VALUES (3, 'Grüße, 世界 🐘', NULL, 'sad', NULL, E'tab\there'); INSERT INTO marks (tag) VALUES ('insert-utf8'); COMMIT;
BEGIN; INSERT INTO people VALUES (7, 'ann@example.com', 'Ann'); UPDATE people SET email = 'ann@example.org' WHERE id = 7; INSERT INTO marks (tag) VALUES ('people'); COMMIT;
BEGIN; INSERT INTO audit VALUES (10, 'first', '2024-02-29 12:34:56.789'); UPDATE audit SET payload = 'second' WHERE id = 10; DELETE FROM audit WHERE id = 10; INSERT INTO marks (tag) VALUES ('audit'); COMMIT;
BEGIN; INSERT INTO log_only VALUES ('started', 2); INSERT INTO marks (tag) VALUES ('log-only'); COMMIT;
BEGIN; INSERT INTO docs SELECT 1, 'draft', string_agg(md5(i::text), '') FROM generate_series(1, 200) i; INSERT INTO marks (tag) VALUES ('docs-insert'); COMMIT;
BEGIN; UPDATE docs SET title = 'final' WHERE id = 1; INSERT INTO marks (tag) VALUES ('docs-update-toast'); COMMIT;
BEGIN; INSERT INTO parent (name) VALUES ('p'); INSERT INTO child VALUES (1, 1); INSERT INTO marks (tag) VALUES ('parent-child'); COMMIT;
BEGIN; TRUNCATE parent, log_only RESTART IDENTITY CASCADE; INSERT INTO marks (tag) VALUES ('truncate-cascade'); COMMIT;
BEGIN; TRUNCATE audit; INSERT INTO marks (tag) VALUES ('truncate-plain'); COMMIT;
BEGIN; SELECT pg_logical_emit_message(true, 'recall', 'hello, transactional'); INSERT INTO marks (tag) VALUES ('message-tx'); COMMIT;
SELECT pg_logical_emit_message(false, 'recall/bin', '\x00ff10'::bytea);
SELECT pg_replication_origin_create('upstream-a');
SELECT pg_replication_origin_session_setup('upstream-a');
BEGIN;
SELECT pg_replication_origin_xact_setup('1/ABCDEF01', '2024-02-29 12:34:56.789012+00');
INSERT INTO log_only VALUES ('from upstream', 1);
INSERT INTO marks (tag) VALUES ('origin');
COMMIT;
SELECT pg_replication_origin_session_reset();

\echo === marks
SELECT tag, lsn, xid FROM marks ORDER BY lsn;
\echo === commits
SELECT start_lsn, end_lsn, xid, description FROM pg_get_wal_records_info('0/1000000', pg_current_wal_lsn())
  WHERE resource_manager = 'Transaction' AND record_type = 'COMMIT' ORDER BY start_lsn;
\echo === commit timestamps
SELECT DISTINCT xid, pg_xact_commit_timestamp(xid::text::xid) AS ts,
       (extract(epoch FROM pg_xact_commit_timestamp(xid::text::xid) - '2000-01-01 00:00:00+00') * 1000000)::bigint AS pg_micros
  FROM marks ORDER BY xid;
\echo === messages
SELECT lsn, xid, encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes('slot', NULL, NULL,
  'proto_version', '1', 'publication_names', 'pub', 'messages', 'true');
\echo === oids
SELECT oid, typname FROM pg_type WHERE typname IN ('mood', 'posint');
SELECT oid, relname FROM pg_class WHERE relname IN ('items', 'people', 'audit', 'log_only', 'docs', 'parent', 'child');

-- Part 2: protocol version 1 with binary values
SELECT 'init' AS tag, lsn FROM pg_create_logical_replication_slot('slot_bin', 'pgoutput');
BEGIN; INSERT INTO items VALUES (4, 'pear', 0.99, 'ok', 5, NULL); COMMIT;
\echo === messages
SELECT lsn, xid, encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes('slot_bin', NULL, NULL,
  'proto_version', '1', 'publication_names', 'pub', 'binary', 'true');

-- Part 3: protocol version 2 streaming, which a version 1 decoder must refuse
SELECT 'init' AS tag, lsn FROM pg_create_logical_replication_slot('slot_stream', 'pgoutput');
BEGIN; INSERT INTO log_only SELECT repeat('x', 100), 3 FROM generate_series(1, 2000); COMMIT;
SET logical_decoding_work_mem = '64kB';
\echo === messages
SELECT lsn, xid, encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes('slot_stream', NULL, NULL,
  'proto_version', '2', 'publication_names', 'pub', 'streaming', 'true') WHERE get_byte(data, 0) <> ascii('I');
SELECT pg_drop_replication_slot('slot_stream');
