-- Recall's DDL capture (event-trigger mode). Idempotent: run it again to upgrade; run with the lock below held.
-- Everything lives in the schema _recall, which base backups leave out; the event triggers are named recall_ddl_*,
-- which restores leave out. The triggers record, for each object a DDL command touched, its resulting catalog state
-- (never the client's query text) as a transactional logical message (PostgreSQL 14+) or a row of _recall.ddl_log
-- (PostgreSQL 13), so the record is ordered exactly with the data around it.
CREATE SCHEMA IF NOT EXISTS _recall;

-- One row per Recall publication of this database.
CREATE TABLE IF NOT EXISTS _recall.ddl_config (
    publication name PRIMARY KEY,
    installed_at timestamptz NOT NULL DEFAULT now()
);

-- The source's table patterns, so that a table created later joins the publication when it matches.
CREATE TABLE IF NOT EXISTS _recall.ddl_tables (
    publication name NOT NULL REFERENCES _recall.ddl_config ON DELETE CASCADE,
    schema_name name NOT NULL,
    table_name name,
    exclude boolean NOT NULL DEFAULT false
);

-- The last recorded state of each object, so a record can say what an object was before the command.
CREATE TABLE IF NOT EXISTS _recall.ddl_state (
    catalog text NOT NULL,
    objid oid NOT NULL,
    state jsonb NOT NULL,
    PRIMARY KEY (catalog, objid)
);

-- PostgreSQL 13's transport (pgoutput has no logical messages there): rows of this published table.
CREATE TABLE IF NOT EXISTS _recall.ddl_log (
    id bigserial PRIMARY KEY,
    prefix text NOT NULL,
    content text NOT NULL
);

-- The catalog state of one relation (table, partitioned table, index, sequence) as JSON; NULL for other kinds.
-- Names in expressions come out schema-qualified because search_path holds only pg_catalog.
CREATE OR REPLACE FUNCTION _recall.relation_state(rel oid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
SELECT CASE
    WHEN c.relkind IN ('r', 'p') THEN jsonb_build_object(
        'kind', c.relkind::text,
        'schema', n.nspname,
        'name', c.relname,
        'unlogged', c.relpersistence = 'u',
        'columns', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'num', a.attnum,
                'name', a.attname,
                'type', format_type(a.atttypid, a.atttypmod),
                'typeOid', a.atttypid,
                'typmod', a.atttypmod,
                'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation THEN
                    (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                       FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                      WHERE co.oid = a.attcollation) END,
                'notNull', a.attnotnull,
                'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                'identity', nullif(a.attidentity::text, ''),
                'identitySequence', CASE WHEN a.attidentity <> '' THEN
                    (SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname)
                       FROM pg_depend dp JOIN pg_class s ON s.oid = dp.objid
                       JOIN pg_namespace sn ON sn.oid = s.relnamespace
                      WHERE dp.classid = 'pg_class'::regclass AND dp.refclassid = 'pg_class'::regclass
                        AND dp.refobjid = c.oid AND dp.refobjsubid = a.attnum AND dp.deptype = 'i'
                        AND s.relkind = 'S' LIMIT 1) END,
                'local', a.attislocal,
                -- what rows older than a fast-default ADD COLUMN read (a stable default such as now() was evaluated
                -- once, when the column was added)
                'missing', CASE WHEN a.atthasmissing THEN (a.attmissingval::text::text[])[1] END)
                ORDER BY a.attnum), '[]'::jsonb)
              FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
        'constraints', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'name', k.conname, 'type', k.contype::text, 'def', pg_get_constraintdef(k.oid))
                ORDER BY k.conname), '[]'::jsonb)
              FROM pg_constraint k WHERE k.conrelid = c.oid AND k.conislocal),
        'replicaIdentity', c.relreplident::text,
        'replicaIdentityIndex', (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                                  WHERE i.indrelid = c.oid AND i.indisreplident LIMIT 1),
        'partitionKey', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
        'parent', (SELECT jsonb_build_object('schema', pn.nspname, 'name', pc.relname)
                     FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
                     JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                    WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1),
        'bound', CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END)
    WHEN c.relkind IN ('i', 'I') THEN jsonb_build_object(
        'kind', c.relkind::text,
        'schema', n.nspname,
        'name', c.relname,
        'table', (SELECT jsonb_build_object('schema', tn.nspname, 'name', t.relname)
                    FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                    JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE i.indexrelid = c.oid),
        'def', pg_get_indexdef(c.oid),
        'constraint', EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x')),
        'partitionChild', c.relispartition)
    WHEN c.relkind = 'S' THEN (SELECT jsonb_build_object(
        'kind', 'S',
        'schema', n.nspname,
        'name', c.relname,
        'type', format_type(s.seqtypid, NULL),
        'start', s.seqstart, 'increment', s.seqincrement, 'min', s.seqmin, 'max', s.seqmax,
        'cache', s.seqcache, 'cycle', s.seqcycle,
        'identity', EXISTS (SELECT 1 FROM pg_depend dp WHERE dp.classid = 'pg_class'::regclass
                               AND dp.objid = c.oid AND dp.deptype = 'i'),
        'ownedBy', (SELECT jsonb_build_object('schema', tn.nspname, 'table', t.relname, 'column', a.attname)
                      FROM pg_depend dp JOIN pg_class t ON t.oid = dp.refobjid
                      JOIN pg_namespace tn ON tn.oid = t.relnamespace
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = dp.refobjsubid
                     WHERE dp.classid = 'pg_class'::regclass AND dp.objid = c.oid
                       AND dp.refclassid = 'pg_class'::regclass AND dp.deptype = 'a' LIMIT 1))
        FROM pg_sequence s WHERE s.seqrelid = c.oid)
    END
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = rel AND c.relpersistence <> 't'
$fn$;

-- The catalog state of a user-defined type: enum (its labels in order), domain, or composite type; NULL otherwise.
CREATE OR REPLACE FUNCTION _recall.type_state(typ oid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
SELECT CASE
    WHEN t.typtype = 'e' THEN jsonb_build_object(
        'kind', 'enum', 'schema', n.nspname, 'name', t.typname,
        'labels', (SELECT coalesce(jsonb_agg(e.enumlabel ORDER BY e.enumsortorder), '[]'::jsonb)
                     FROM pg_enum e WHERE e.enumtypid = t.oid))
    WHEN t.typtype = 'd' THEN jsonb_build_object(
        'kind', 'domain', 'schema', n.nspname, 'name', t.typname,
        'baseType', format_type(t.typbasetype, t.typtypmod),
        'notNull', t.typnotnull,
        'default', CASE WHEN t.typdefaultbin IS NOT NULL THEN pg_get_expr(t.typdefaultbin, 0) END,
        'checks', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', k.conname, 'def', pg_get_constraintdef(k.oid))
                                   ORDER BY k.conname), '[]'::jsonb)
                     FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'))
    WHEN t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c' THEN jsonb_build_object(
        'kind', 'composite', 'schema', n.nspname, 'name', t.typname,
        'attributes', (SELECT coalesce(jsonb_agg(jsonb_build_object('num', a.attnum, 'name', a.attname,
                                   'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]'::jsonb)
                         FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
    END
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.oid = typ
$fn$;

-- Sends one record with the transport this server supports, inside the current transaction.
CREATE OR REPLACE FUNCTION _recall.emit(prefix text, content text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        PERFORM pg_logical_emit_message(true, prefix, content);
    ELSE
        INSERT INTO _recall.ddl_log (prefix, content) VALUES (prefix, content);
    END IF;
END
$fn$;

-- Whether a Recall publication of this database wants the table (its patterns match it; schema '*' is every schema;
-- no include pattern at all means no patterns are known, and no table is added by itself).
CREATE OR REPLACE FUNCTION _recall.wanted(pub name, sch name, tab name) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
SELECT EXISTS (SELECT 1 FROM _recall.ddl_tables t WHERE t.publication = pub AND NOT t.exclude
                  AND (t.schema_name = '*' OR t.schema_name = sch) AND (t.table_name IS NULL OR t.table_name = tab))
   AND NOT EXISTS (SELECT 1 FROM _recall.ddl_tables t WHERE t.publication = pub AND t.exclude
                      AND (t.schema_name = '*' OR t.schema_name = sch)
                      AND (t.table_name IS NULL OR t.table_name = tab))
   AND sch <> '_recall' AND sch <> 'information_schema' AND sch NOT LIKE 'pg\_%'
$fn$;

-- Emits one batch of rows, in pieces of at most 65536 characters (a record in Kafka takes about 1 MB at most).
CREATE OR REPLACE FUNCTION _recall.emit_batch(sch name, tab name, part int, why text, batch text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    pieces int := greatest(1, ceil(length(batch) / 65536.0)::int);
BEGIN
    FOR i IN 0 .. pieces - 1 LOOP
        PERFORM _recall.emit('recall.ddl.rows', jsonb_build_object('schema', sch, 'name', tab, 'part', part,
            'reason', why, 'piece', i, 'pieces', pieces)::text || chr(10) || substr(batch, i * 65536 + 1, 65536));
    END LOOP;
END
$fn$;

-- Emits the current rows of a table in bounded messages: its history in the stream restarts from them.
CREATE OR REPLACE FUNCTION _recall.emit_rows(rel oid, why text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp SET bytea_output = 'hex' SET IntervalStyle = 'postgres'
SET extra_float_digits = 3 SET DateStyle = 'ISO, YMD' SET TimeZone = 'UTC' AS $fn$
DECLARE
    sch name;
    tab name;
    batch text := '';
    n int := 0;
    part int := 0;
    r record;
BEGIN
    SELECT nc.nspname, c.relname INTO sch, tab
      FROM pg_class c JOIN pg_namespace nc ON nc.oid = c.relnamespace WHERE c.oid = rel;
    FOR r IN EXECUTE format('SELECT to_json(t)::text AS j FROM ONLY %I.%I t', sch, tab) LOOP
        batch := batch || CASE WHEN n > 0 THEN ',' ELSE '' END || r.j;
        n := n + 1;
        IF length(batch) > 65536 THEN
            PERFORM _recall.emit_batch(sch, tab, part, why, '[' || batch || ']');
            part := part + 1;
            batch := '';
            n := 0;
        END IF;
    END LOOP;
    IF n > 0 OR part = 0 THEN
        PERFORM _recall.emit_batch(sch, tab, part, why, '[' || batch || ']');
    END IF;
END
$fn$;

-- Whether a Recall publication carries the table's changes (listed itself, or through a partition ancestor).
CREATE OR REPLACE FUNCTION _recall.published(rel oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
SELECT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication pb ON pb.oid = pr.prpubid
                 JOIN _recall.ddl_config cf ON cf.publication = pb.pubname
                WHERE pr.prrelid = rel OR pr.prrelid IN (SELECT relid FROM pg_partition_ancestors(rel)))
$fn$;

-- Whether a table can join a publication without making the source refuse its updates and deletes.
CREATE OR REPLACE FUNCTION _recall.has_identity(rel oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
SELECT c.relreplident = 'f'
    OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
    OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))
  FROM pg_class c WHERE c.oid = rel
$fn$;

CREATE OR REPLACE FUNCTION _recall.on_table_rewrite() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM set_config('recall.ddl_rewritten',
        coalesce(nullif(current_setting('recall.ddl_rewritten', true), ''), '')
        || pg_event_trigger_table_rewrite_oid()::text || ',', true);
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'recall: could not note a table rewrite: %', SQLERRM;
END
$fn$;

-- A failure must never fail the user's DDL, and must not be silent: the record says the change is not captured,
-- and the capture worker marks a gap and takes a new base backup.
CREATE OR REPLACE FUNCTION _recall.record_failure(tag text, err text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM set_config('recall.ddl_busy', '', true);
    PERFORM set_config('recall.ddl_rewritten', '', true);
    PERFORM _recall.emit('recall.ddl.gap', jsonb_build_object('tag', tag, 'error', err)::text);
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'recall: the DDL (%) is not captured and could not be reported: % / %', tag, err, SQLERRM;
END
$fn$;

CREATE OR REPLACE FUNCTION _recall.on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    r record;
    p record;
    objs jsonb := '[]';
    st jsonb;
    prev jsonb;
    cat text;
    key oid;
    rewritten oid[];
    ordinal int;
    added oid[] := '{}';
    notes jsonb := '[]';
BEGIN
    IF current_setting('recall.ddl_busy', true) = 'on' THEN
        RETURN;
    END IF;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM _recall.ddl_config) THEN
            RETURN;
        END IF;
        PERFORM set_config('recall.ddl_busy', 'on', true);
        rewritten := coalesce(string_to_array(rtrim(current_setting('recall.ddl_rewritten', true), ','), ',')::oid[],
                              '{}');
        FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
            IF r.schema_name = '_recall' OR r.schema_name LIKE 'pg\_temp%' OR r.schema_name LIKE 'pg\_toast%'
               OR r.in_extension OR r.object_type LIKE 'publication%' OR r.object_type = 'subscription' THEN
                CONTINUE;
            END IF;
            st := NULL;
            cat := NULL;
            key := r.objid;
            IF r.classid = 'pg_class'::regclass AND r.object_type = 'composite type' THEN
                -- a composite type's attributes live in a relation of its own: record the type
                cat := 'pg_type';
                key := (SELECT reltype FROM pg_class WHERE oid = r.objid);
                st := _recall.type_state(key);
            ELSIF r.classid = 'pg_type'::regclass THEN
                cat := 'pg_type';
                st := _recall.type_state(r.objid);
            ELSIF r.classid = 'pg_class'::regclass AND r.objsubid >= 0 THEN
                cat := 'pg_class';
                st := _recall.relation_state(r.objid);
                IF st IS NULL AND r.object_type NOT IN ('view', 'materialized view', 'foreign table', 'type',
                                                        'composite type') THEN
                    CONTINUE; -- a temporary relation
                END IF;
            ELSIF r.classid = 'pg_namespace'::regclass THEN
                cat := 'pg_namespace';
                st := (SELECT jsonb_build_object('kind', 'schema', 'name', nspname) FROM pg_namespace
                        WHERE oid = r.objid);
            END IF;
            prev := NULL;
            IF st IS NOT NULL THEN
                SELECT s.state INTO prev FROM _recall.ddl_state s WHERE s.catalog = cat AND s.objid = key;
                INSERT INTO _recall.ddl_state AS s (catalog, objid, state) VALUES (cat, key, st)
                    ON CONFLICT (catalog, objid) DO UPDATE SET state = EXCLUDED.state;
            END IF;
            objs := objs || jsonb_build_object(
                'type', r.object_type,
                'oid', r.objid,
                'identity', r.object_identity,
                'tag', r.command_tag,
                'action', CASE WHEN r.command_tag LIKE 'CREATE%' AND prev IS NULL THEN 'CREATE' ELSE 'ALTER' END,
                'before', prev,
                'after', st);
        END LOOP;
        -- tables that match a publication's patterns join it once they have a usable replica identity
        FOR p IN SELECT publication FROM _recall.ddl_config LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = p.publication) THEN
                CONTINUE;
            END IF;
            FOR r IN SELECT DISTINCT c.oid, n.nspname, c.relname, c.relispartition
                       FROM pg_event_trigger_ddl_commands() e JOIN pg_class c ON c.oid = e.objid
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE e.classid = 'pg_class'::regclass AND c.relkind IN ('r', 'p')
                        AND c.relpersistence = 'p' LOOP
                IF NOT _recall.wanted(p.publication, r.nspname, r.relname)
                   OR EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication pb ON pb.oid = pr.prpubid
                               WHERE pb.pubname = p.publication
                                 AND (pr.prrelid = r.oid OR pr.prrelid IN (SELECT relid FROM pg_partition_ancestors(r.oid)))) THEN
                    CONTINUE;
                END IF;
                IF r.relispartition THEN
                    CONTINUE; -- partitions follow their root
                END IF;
                IF NOT _recall.has_identity(r.oid) THEN
                    notes := notes || jsonb_build_object('publication', p.publication,
                        'table', quote_ident(r.nspname) || '.' || quote_ident(r.relname),
                        'note', 'not captured: it has no primary key or replica identity; add one and it joins');
                    CONTINUE;
                END IF;
                EXECUTE format('ALTER PUBLICATION %I ADD TABLE %I.%I', p.publication, r.nspname, r.relname);
                notes := notes || jsonb_build_object('publication', p.publication,
                    'table', quote_ident(r.nspname) || '.' || quote_ident(r.relname), 'note', 'added to the publication');
                added := added || r.oid;
            END LOOP;
        END LOOP;
        IF jsonb_array_length(objs) > 0 THEN
            ordinal := coalesce(nullif(current_setting('recall.ddl_ordinal', true), '')::int, -1) + 1;
            PERFORM set_config('recall.ddl_ordinal', ordinal::text, true);
            -- a partitioned table's rewrite happens in its partitions: the rewritten relations are listed apart
            PERFORM _recall.emit('recall.ddl', jsonb_build_object(
                'version', 1, 'tag', tg_tag, 'ordinal', ordinal, 'objects', objs, 'notes', notes,
                'rewritten', (SELECT coalesce(jsonb_agg(jsonb_build_object('schema', n.nspname, 'name', c.relname)),
                                              '[]') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE c.oid = ANY (rewritten) AND _recall.published(c.oid)))::text);
        END IF;
        -- rows the stream cannot carry: a rewritten table's new contents, a newly published table's existing rows
        FOR r IN SELECT DISTINCT x.oid FROM unnest(rewritten || added) x(oid)
                   JOIN pg_class c ON c.oid = x.oid WHERE c.relkind = 'r' AND _recall.published(c.oid) LOOP
            PERFORM _recall.emit_rows(r.oid, CASE WHEN r.oid = ANY (added) THEN 'published' ELSE 'rewritten' END);
        END LOOP;
        FOR r IN SELECT DISTINCT x.oid FROM unnest(added) x(oid) JOIN pg_class c ON c.oid = x.oid
                  WHERE c.relkind = 'p' LOOP
            PERFORM _recall.emit_rows(pt.relid, 'published') FROM pg_partition_tree(r.oid) pt WHERE pt.isleaf;
        END LOOP;
        PERFORM set_config('recall.ddl_rewritten', '', true);
        PERFORM set_config('recall.ddl_busy', '', true);
    EXCEPTION WHEN OTHERS THEN
        PERFORM _recall.record_failure(tg_tag, SQLERRM);
    END;
END
$fn$;

CREATE OR REPLACE FUNCTION _recall.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    r record;
    objs jsonb := '[]';
    prev jsonb;
    cat text;
    ordinal int;
    deps jsonb := '[]';
BEGIN
    IF current_setting('recall.ddl_busy', true) = 'on' THEN
        RETURN;
    END IF;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM _recall.ddl_config) THEN
            RETURN;
        END IF;
        FOR r IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
            -- objects that hang off a table (its constraints, triggers, policies, rules): a restore must not create
            -- the ones of its base backup again after replay
            IF r.object_type IN ('table constraint', 'trigger', 'policy', 'rule')
               AND cardinality(r.address_names) = 3 THEN
                deps := deps || jsonb_build_object('type', r.object_type, 'schema', r.address_names[1],
                    'table', r.address_names[2], 'name', r.address_names[3]);
            END IF;
            IF r.schema_name = '_recall' OR r.schema_name LIKE 'pg\_temp%' OR r.schema_name LIKE 'pg\_toast%'
               OR r.is_temporary OR r.object_type LIKE 'publication%' OR r.object_type = 'subscription' THEN
                CONTINUE;
            END IF;
            cat := CASE WHEN r.classid = 'pg_class'::regclass AND r.objsubid = 0 THEN 'pg_class'
                        WHEN r.classid = 'pg_namespace'::regclass THEN 'pg_namespace'
                        WHEN r.classid = 'pg_type'::regclass THEN 'pg_type' END;
            prev := NULL;
            IF cat IS NOT NULL THEN
                DELETE FROM _recall.ddl_state s WHERE s.catalog = cat AND s.objid = r.objid RETURNING s.state INTO prev;
            END IF;
            -- dependent objects go with the original ones on the target as well; a dropped column is a table change
            IF NOT r.original OR r.object_type = 'table column' THEN
                CONTINUE;
            END IF;
            objs := objs || jsonb_build_object(
                'type', r.object_type,
                'identity', r.object_identity,
                'tag', tg_tag,
                'action', 'DROP',
                'before', coalesce(prev, CASE WHEN cat = 'pg_class' THEN jsonb_build_object('kind',
                    CASE r.object_type WHEN 'table' THEN 'r' WHEN 'index' THEN 'i' WHEN 'sequence' THEN 'S' END,
                    'schema', r.schema_name, 'name', r.object_name)
                    WHEN cat = 'pg_namespace' THEN jsonb_build_object('kind', 'schema', 'name', r.object_name)
                    WHEN cat = 'pg_type' THEN jsonb_build_object('kind', 'type', 'schema', r.schema_name,
                                                                 'name', r.object_name) END),
                'after', NULL);
        END LOOP;
        IF jsonb_array_length(objs) > 0 OR jsonb_array_length(deps) > 0 THEN
            ordinal := coalesce(nullif(current_setting('recall.ddl_ordinal', true), '')::int, -1) + 1;
            PERFORM set_config('recall.ddl_ordinal', ordinal::text, true);
            PERFORM _recall.emit('recall.ddl', jsonb_build_object(
                'version', 1, 'tag', tg_tag, 'ordinal', ordinal, 'objects', objs, 'notes', '[]'::jsonb,
                'rewritten', '[]'::jsonb, 'dropped', deps)::text);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        PERFORM _recall.record_failure(tg_tag, SQLERRM);
    END;
END
$fn$;

-- The state every existing relation and schema has now: the "before" of the first change to each.
INSERT INTO _recall.ddl_state (catalog, objid, state)
SELECT 'pg_class', c.oid, _recall.relation_state(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'i', 'I', 'S') AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('_recall', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
ON CONFLICT (catalog, objid) DO UPDATE SET state = EXCLUDED.state;
INSERT INTO _recall.ddl_state (catalog, objid, state)
SELECT 'pg_type', t.oid, _recall.type_state(t.oid)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname NOT IN ('_recall', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
   AND _recall.type_state(t.oid) IS NOT NULL
ON CONFLICT (catalog, objid) DO UPDATE SET state = EXCLUDED.state;
INSERT INTO _recall.ddl_state (catalog, objid, state)
SELECT 'pg_namespace', n.oid, jsonb_build_object('kind', 'schema', 'name', n.nspname)
  FROM pg_namespace n
 WHERE n.nspname NOT IN ('_recall', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
ON CONFLICT (catalog, objid) DO UPDATE SET state = EXCLUDED.state;

DROP EVENT TRIGGER IF EXISTS recall_ddl_command_end;
DROP EVENT TRIGGER IF EXISTS recall_ddl_sql_drop;
DROP EVENT TRIGGER IF EXISTS recall_ddl_table_rewrite;
CREATE EVENT TRIGGER recall_ddl_command_end ON ddl_command_end EXECUTE FUNCTION _recall.on_ddl_command_end();
CREATE EVENT TRIGGER recall_ddl_sql_drop ON sql_drop EXECUTE FUNCTION _recall.on_sql_drop();
CREATE EVENT TRIGGER recall_ddl_table_rewrite ON table_rewrite EXECUTE FUNCTION _recall.on_table_rewrite();
ALTER EVENT TRIGGER recall_ddl_command_end ENABLE ALWAYS;
ALTER EVENT TRIGGER recall_ddl_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER recall_ddl_table_rewrite ENABLE ALWAYS;
