package io.recall.worker.capture;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.ddl.DdlCapture;
import io.recall.common.ddl.DdlRecord;
import io.recall.common.ddl.DdlRecord.Column;
import io.recall.common.ddl.DdlRecord.DdlObject;
import io.recall.common.ddl.DdlRecord.TableState;
import io.recall.common.pg.SqlIdentifiers;
import io.recall.common.storage.BlobNotFoundException;
import io.recall.common.storage.BlobStore;
import io.recall.schemas.catalog.ApproximateRange;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SchemaObjectChange;
import io.recall.schemas.change.ColumnDef;
import io.recall.schemas.change.RelationDef;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Schema changes where Recall cannot install event triggers (the role is not a superuser): the fallback DDL capture.
 *
 * <h2>Column changes, from pgoutput Relation messages</h2>
 *
 * pgoutput sends a table's Relation message again, inside the first transaction that writes the table after its
 * definition changed. When the columns (names, types) differ from the ones known for that table, the current catalog
 * state of the table is read and a derived {@link DdlRecord} (before: the known state, after: the catalog's) is put
 * into that transaction just before its first change to the table, where restores apply it like a trigger's record.
 * Columns are matched by attnum, so renames are renames. Exact: renamed tables and columns, dropped columns, added
 * columns without a default or with a fast default (older rows read {@code attmissingval}, which the record carries),
 * and default, NOT NULL and constraint changes. Not exact (the record says why, and an {@link ApproximateRange} and a
 * new base backup follow): a type change (the source's USING expression and rewritten values are not in the stream),
 * a column added with a volatile default (the rewrite's values are not either), and a table that changed again
 * before its first change was streamed.
 *
 * <p>The change takes effect in restores at the first transaction that writes the table after it: a restore target
 * between the DDL and that transaction gets the old definition, with the same rows.
 *
 * <h2>Tables, by polling the catalog</h2>
 *
 * {@link #poll} compares the tables that match the source's patterns with the publication: a new one with a usable
 * replica identity is added to the publication, a published one that is gone is reported dropped. Either way its
 * rows before the poll are not in the stream, so an {@link ApproximateRange} from the previous poll's WAL position
 * and a new base backup follow.
 *
 * <p>Known table states are kept in storage once the records that set them are durable in Kafka, so a capture that
 * restarts and streams a change again derives it again.
 */
final class FallbackSchema {

    private static final Logger log = LoggerFactory.getLogger(FallbackSchema.class);
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** What capture knows of one table: the columns pgoutput last sent, and the catalog state behind them. */
    record Known(List<String> shape, TableState state) {}

    /** Events of one poll, and whether a base backup should follow. */
    record PollResult(List<Object> events, boolean needsBackup) {}

    private final BlobStore store;
    private final String key;
    private final String publication;
    private final List<DdlCapture.Pattern> patterns;
    private final Map<Integer, Known> known = new HashMap<>();
    private final Map<Integer, Known> durable = new ConcurrentHashMap<>();
    private Set<Long> lastPublished;
    private Lsn lastPollLsn;
    private long ordinalTx = -1;
    private int ordinal;

    FallbackSchema(BlobStore store, String key, String publication, List<DdlCapture.Pattern> patterns) {
        this.store = store;
        this.key = key;
        this.publication = publication;
        this.patterns = List.copyOf(patterns);
    }

    /** Loads what an earlier session made durable; tables never seen are read from the catalog when first streamed. */
    void load() throws IOException {
        try (InputStream in = store.open(key)) {
            Map<Integer, Known> stored = JSON.readValue(in, new TypeReference<Map<Integer, Known>>() {});
            known.clear();
            known.putAll(stored);
            durable.clear();
            durable.putAll(stored);
        } catch (BlobNotFoundException e) {
            known.clear();
            durable.clear();
        }
    }

    /**
     * Reads the catalog state of published tables this capture does not know yet, and keeps it as durable: call while
     * the stream cannot have changes to them that are not yet captured (the first base backup holds their locks; a
     * table that just joined the publication has none in the stream).
     *
     * @param all forget what was known first (a new slot starts a new stream)
     */
    void initialise(Connection sql, Collection<Long> oids, boolean all) throws SQLException {
        if (all) {
            known.clear();
            durable.clear();
        }
        boolean changed = all;
        for (Long oid : oids) {
            int relid = oid.intValue();
            if (known.containsKey(relid)) {
                continue;
            }
            var state = DdlCapture.catalogState(sql, oid)
                    .filter(TableState.class::isInstance)
                    .map(TableState.class::cast);
            if (state.isPresent()) {
                Known k = new Known(null, state.get());
                known.put(relid, k);
                durable.put(relid, k);
                changed = true;
            }
        }
        if (changed) {
            persist();
        }
    }

    /** The publication's tables (not its partitions), by oid. */
    List<Long> publishedOids(Connection sql) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (PreparedStatement ps = sql.prepareStatement("SELECT pr.prrelid FROM pg_publication_rel pr"
                + " JOIN pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    /**
     * A Relation message inside the transaction committing at {@code commitLsn}: the derived DDL records to put into
     * it before its next change (usually none).
     */
    List<byte[]> onRelation(Connection sql, RelationDef def, long commitLsn) throws SQLException {
        if (DdlCapture.SCHEMA.equals(def.getSchema$())) {
            return List.of();
        }
        int relid = def.getRelationId();
        List<String> shape = shape(def);
        Known k = known.get(relid);
        if (k != null && k.shape() == null) {
            k = new Known(shape(k.state()), k.state()); // known from the catalog: its columns as pgoutput names them
            known.put(relid, k);
        }
        if (k == null) {
            DdlCapture.catalogState(sql, Integer.toUnsignedLong(relid))
                    .filter(TableState.class::isInstance)
                    .map(TableState.class::cast)
                    .ifPresent(state -> known.put(relid, new Known(shape, state)));
            return List.of();
        }
        boolean sameName =
                k.state().schema().equals(def.getSchema$()) && k.state().name().equals(def.getTable());
        if (sameName && shape.equals(k.shape())) {
            return List.of();
        }
        TableState now = DdlCapture.catalogState(sql, Integer.toUnsignedLong(relid))
                .filter(TableState.class::isInstance)
                .map(TableState.class::cast)
                .orElse(null);
        List<String> reasons = new ArrayList<>();
        if (now == null) {
            // dropped since: the rows still come, under the definition pgoutput sent
            log.warn("table {} changed and is gone from the catalog already", def.getTable());
            return List.of();
        }
        if (!shape(now).equals(shape)
                || !now.schema().equals(def.getSchema$())
                || !now.name().equals(def.getTable())) {
            reasons.add("the table changed again before this change was streamed");
        }
        Map<Integer, Column> before = new HashMap<>();
        k.state().columns().forEach(c -> before.put(c.num(), c));
        for (Column c : now.columns()) {
            Column b = before.get(c.num());
            if (b == null) {
                if (c.defaultExpr() != null && c.missing() == null && c.generated() == null && c.identity() == null) {
                    reasons.add("column " + c.name() + " was added with a volatile default: the values the table's"
                            + " rewrite gave older rows are not in the stream");
                }
            } else if (!b.type().equals(c.type())) {
                reasons.add("column " + c.name() + " changed type from " + b.type() + " to " + c.type()
                        + ": the values the conversion gave older rows are not in the stream");
            }
        }
        if (ordinalTx != commitLsn) {
            ordinalTx = commitLsn;
            ordinal = 0;
        }
        DdlRecord record = new DdlRecord(
                1,
                "ALTER TABLE",
                ordinal++,
                List.of(new DdlObject(
                        "table",
                        Integer.toUnsignedLong(relid),
                        SqlIdentifiers.display(now.schema(), now.name()),
                        "ALTER TABLE",
                        "ALTER",
                        k.state(),
                        now)),
                List.of(),
                List.of(),
                reasons.isEmpty() ? null : String.join("; ", reasons),
                List.of());
        known.put(relid, new Known(shape, now));
        log.info(
                "derived a schema change of {} from its Relation message{}",
                record.objects().getFirst().identity(),
                reasons.isEmpty() ? "" : " (approximate: " + record.approximate() + ")");
        return List.of(record.toJson());
    }

    /** A derived record is durable in Kafka: what it says about its table may be kept. */
    void acknowledged(DdlRecord record) {
        boolean changed = false;
        for (DdlObject o : record.objects()) {
            if (o.oid() != null && o.after() instanceof TableState t) {
                Known k = known.get(o.oid().intValue());
                durable.put(o.oid().intValue(), k != null && k.state().equals(t) ? k : new Known(null, t));
                changed = true;
            }
        }
        if (changed) {
            persist();
        }
    }

    private synchronized void persist() {
        try {
            byte[] bytes = JSON.writeValueAsBytes(new HashMap<>(durable));
            store.put(key, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Compares the tables that match the source's patterns with the publication. New ones with a usable replica
     * identity join the publication; published ones that are gone are reported dropped.
     */
    PollResult poll(Connection sql, Instant now) throws SQLException {
        Lsn pollLsn;
        try (PreparedStatement ps = sql.prepareStatement("SELECT pg_current_wal_lsn()::text");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            pollLsn = Lsn.parse(rs.getString(1));
        }
        Set<Long> published = new HashSet<>();
        Map<Long, String> publishedNames = new HashMap<>();
        try (PreparedStatement ps = sql.prepareStatement("SELECT pr.prrelid, n.nspname, c.relname"
                + " FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid"
                + " JOIN pg_class c ON c.oid = pr.prrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE p.pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    published.add(rs.getLong(1));
                    publishedNames.put(rs.getLong(1), SqlIdentifiers.display(rs.getString(2), rs.getString(3)));
                }
            }
        }
        List<Object> events = new ArrayList<>();
        boolean backup = false;
        Lsn from = lastPollLsn != null ? lastPollLsn : pollLsn;
        if (lastPublished != null) {
            for (Long gone : lastPublished) {
                if (!published.contains(gone)) {
                    Known k = known.get(gone.intValue());
                    String name = k != null
                            ? SqlIdentifiers.display(
                                    k.state().schema(), k.state().name())
                            : "oid " + gone;
                    events.add(change(from, now, "DROP TABLE", name, "DROP", "table", -2 - events.size()));
                    events.add(new ApproximateRange(
                            from.value(),
                            null,
                            "table " + name + " was dropped (seen by"
                                    + " polling the catalog): restores until the next base backup still have it"));
                    backup = true;
                }
            }
        }
        try (PreparedStatement ps = sql.prepareStatement("SELECT c.oid, n.nspname, c.relname,"
                + " c.relreplident = 'f' OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i"
                + " WHERE i.indrelid = c.oid AND i.indisprimary)) OR (c.relreplident = 'i' AND EXISTS (SELECT 1"
                + " FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'"
                + " AND n.nspname NOT IN ('information_schema', ?) AND n.nspname NOT LIKE 'pg\\_%'")) {
            ps.setString(1, DdlCapture.SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long oid = rs.getLong(1);
                    String schema = rs.getString(2);
                    String table = rs.getString(3);
                    if (published.contains(oid) || !wanted(schema, table)) {
                        continue;
                    }
                    String name = SqlIdentifiers.display(schema, table);
                    if (!rs.getBoolean(4)) {
                        if (lastPublished == null || !Objects.equals(lastUnkeyed.put(oid, name), name)) {
                            log.warn(
                                    "new table {} matches the source's patterns but has no primary key or replica"
                                            + " identity: it is not captured until it has one",
                                    name);
                        }
                        continue;
                    }
                    try (var st = sql.createStatement()) {
                        st.execute("ALTER PUBLICATION " + SqlIdentifiers.quote(publication) + " ADD TABLE "
                                + SqlIdentifiers.qualified(schema, table));
                    } catch (SQLException e) {
                        log.warn("new table {} cannot join the publication: {}", name, e.getMessage());
                        continue;
                    }
                    published.add(oid);
                    initialise(sql, List.of(oid), false);
                    log.info("new table {} joined the publication; a base backup follows", name);
                    events.add(change(from, now, "CREATE TABLE", name, "CREATE", "table", -2 - events.size()));
                    events.add(new ApproximateRange(
                            from.value(),
                            null,
                            "table " + name + " was created (seen by"
                                    + " polling the catalog): its rows are in restores from the next base backup on"));
                    backup = true;
                }
            }
        }
        // user-defined types: an enum value added (or a domain or composite type changed) is not in the stream
        Map<Long, DdlRecord.ObjectState> types = DdlCapture.typeStates(sql);
        if (lastTypes != null) {
            for (var e : types.entrySet()) {
                DdlRecord.ObjectState before = lastTypes.get(e.getKey());
                if (before != null && before.equals(e.getValue())) {
                    continue;
                }
                String name = SqlIdentifiers.display(
                        e.getValue().schema(), e.getValue().name());
                events.add(change(
                        from,
                        now,
                        before == null ? "CREATE TYPE" : "ALTER TYPE",
                        name,
                        before == null ? "CREATE" : "ALTER",
                        "type",
                        -2 - events.size()));
                events.add(new ApproximateRange(
                        from.value(),
                        null,
                        "type " + name + (before == null ? " was created" : " changed")
                                + " (seen by polling the catalog; without event triggers types are not in the"
                                + " stream): restores that use it need the next base backup"));
                backup = true;
            }
        }
        lastTypes = types;
        lastPublished = published;
        lastPollLsn = pollLsn;
        return new PollResult(events, backup);
    }

    private final Map<Long, String> lastUnkeyed = new HashMap<>();
    private Map<Long, DdlRecord.ObjectState> lastTypes;

    /**
     * A change found by polling, dated at the previous poll's WAL position. Ordinals below -1 keep the changes of one
     * poll apart (-1 is a failed trigger's; 0 and up are recorded commands').
     */
    private static SchemaChanged change(
            Lsn at, Instant now, String tag, String name, String action, String objectType, int ordinal) {
        return SchemaChanged.newBuilder()
                .setCommitLsn(at.value())
                .setCommitTime(now)
                .setXid(0)
                .setOrdinal(ordinal)
                .setCommandTag(tag)
                .setObjects(List.of(new SchemaObjectChange(objectType, name, action, false)))
                .setApproximate(true)
                .build();
    }

    /**
     * Whether the source's patterns take the table. Schema {@code *} is every schema; without any include pattern no
     * patterns are known (a desired state older than them) and no table is taken by itself.
     */
    boolean wanted(String schema, String table) {
        boolean included = false;
        for (DdlCapture.Pattern p : patterns) {
            boolean match = (p.schema().equals("*") || p.schema().equals(schema))
                    && (p.table() == null || p.table().equals(table));
            if (p.exclude() && match) {
                return false;
            }
            included |= !p.exclude() && match;
        }
        return included;
    }

    /** The columns pgoutput would send for a table in this state, as {@link #shape(RelationDef)} lists them. */
    private static List<String> shape(TableState state) {
        List<String> out = new ArrayList<>();
        for (Column c : state.columns()) {
            if (c.generated() == null) {
                out.add(c.name() + ":" + c.typeOid() + ":" + c.typmod());
            }
        }
        return out;
    }

    private static List<String> shape(RelationDef def) {
        List<String> out = new ArrayList<>();
        for (ColumnDef c : def.getColumns()) {
            out.add(c.getName() + ":" + c.getTypeOid() + ":" + c.getTypeModifier());
        }
        return out;
    }
}
