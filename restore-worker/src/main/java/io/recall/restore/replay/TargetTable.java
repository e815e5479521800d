package io.recall.restore.replay;

import static io.recall.common.pg.SqlIdentifiers.qualified;
import static io.recall.common.pg.SqlIdentifiers.quote;

import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@link PendingTable.Plan}s of one source relation into its table in the target, a few set-based statements
 * per flush: values travel as text arrays ({@code unnest}) or COPY text and are cast to the column types read from the
 * target's catalog once.
 *
 * <p>Order within a flush: fill the unchanged-TOAST columns of moved rows from the target (their origin rows still
 * exist), delete gone keys and moved rows' origins, delete removed images (tables without a unique key), update rows
 * in place, then COPY new and moved rows. COPY writes identity columns as given, which is what {@code OVERRIDING
 * SYSTEM VALUE} does for an INSERT; generated columns are never sent and never written.
 *
 * <p>An UPDATE cannot set a {@code GENERATED ALWAYS} identity column. Such a column that is not part of the key is left
 * out of the SET list; rows whose value differs in the target (the source ran {@code SET id = DEFAULT}) are found
 * first and rewritten as delete + insert. Collapsing reorders updates within a flush, which a unique index other than
 * the key's can reject (two rows swapping values): when such an index exists the in-place updates run under a
 * savepoint, and on a unique or exclusion violation they are redone as delete + insert.
 *
 * <p>Every write checks how many rows it touched: a row the stream changes must exist in the target, or the replay
 * fails with {@link ReplayStreamException} rather than silently diverge. Not thread-safe; owned by a
 * {@link ReplayEngine}.
 */
final class TargetTable {

    private static final Logger log = LoggerFactory.getLogger(TargetTable.class);
    private static final int COPY_BUFFER_CHARS = 1 << 20;

    private final Connection connection;
    private final SourceRelation relation;
    private final String name;
    private final String[] columns;
    private final String[] types;
    private final int[] nonKeyIdentityAlways;
    private final boolean otherUniqueIndex;
    private final ReplayCounters counters;
    private final Map<BitSet, String> updateSql = new HashMap<>();
    private String copySql;
    private String deleteSql;
    private String removeSql;

    private TargetTable(
            Connection connection,
            SourceRelation relation,
            String[] types,
            int[] nonKeyIdentityAlways,
            boolean otherUniqueIndex,
            ReplayCounters counters) {
        this.connection = connection;
        this.relation = relation;
        this.name = qualified(relation.schema(), relation.table());
        this.columns = relation.columns().stream().map(c -> quote(c.name())).toArray(String[]::new);
        this.types = types;
        this.nonKeyIdentityAlways = nonKeyIdentityAlways;
        this.otherUniqueIndex = otherUniqueIndex;
        this.counters = counters;
    }

    /**
     * Reads the table's columns from the target catalog and checks that replay can write it the way the source did.
     * The session's search_path must be empty, so that type names come back schema-qualified.
     */
    static TargetTable load(Connection connection, SourceRelation relation, ReplayCounters counters)
            throws SQLException {
        return load(connection, relation, counters, true);
    }

    /**
     * @param approximateSchema whether a table or columns the stream has and the target lacks may be made from the
     *     stream's own description ({@link StreamSchema}): only the fallback DDL capture leaves them out, and the
     *     window is approximate there
     */
    private static TargetTable load(
            Connection connection, SourceRelation relation, ReplayCounters counters, boolean approximateSchema)
            throws SQLException {
        long oid;
        char kind;
        boolean rowSecurity;
        try (PreparedStatement ps = connection.prepareStatement("SELECT c.oid, c.relkind, c.relrowsecurity"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, relation.schema());
            ps.setString(2, relation.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    if (!approximateSchema) {
                        throw new ReplayStreamException(
                                "table " + relation.displayName() + " from the stream does not exist in the target");
                    }
                    StreamSchema.createTable(connection, relation);
                    counters.approximateRepairs++;
                    return load(connection, relation, counters, false);
                }
                oid = rs.getLong(1);
                kind = rs.getString(2).charAt(0);
                rowSecurity = rs.getBoolean(3);
            }
        }
        if (kind != 'r' && kind != 'p') {
            throw new ReplayStreamException(
                    relation.displayName() + " is not a table in the target (relkind " + kind + ")");
        }
        Map<String, String[]> attributes = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT a.attname,"
                + " pg_catalog.format_type(a.atttypid, a.atttypmod), a.attidentity, a.attgenerated"
                + " FROM pg_catalog.pg_attribute a WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    attributes.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3), rs.getString(4)});
                }
            }
        }
        List<SourceRelation.Column> cols = relation.columns();
        String[] types = new String[cols.size()];
        List<Integer> identityAlways = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            String[] a = attributes.get(cols.get(i).name());
            if (a == null && approximateSchema) {
                StreamSchema.addColumns(connection, relation, attributes.keySet());
                counters.approximateRepairs++;
                return load(connection, relation, counters, false);
            }
            if (a == null) {
                throw new ReplayStreamException("column " + cols.get(i).name() + " of " + relation.displayName()
                        + " is in the stream but not in the target table");
            }
            if (!a[2].isEmpty()) {
                throw new ReplayStreamException("column " + cols.get(i).name() + " of " + relation.displayName()
                        + " is generated in the target but the stream carries values for it");
            }
            types[i] = a[0];
            if ("a".equals(a[1]) && !cols.get(i).key()) {
                identityAlways.add(i);
            }
        }
        int triggers;
        int rules;
        try (PreparedStatement ps = connection.prepareStatement("SELECT"
                + " (SELECT count(*) FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ? AND t.tgenabled <> 'D'),"
                + " (SELECT count(*) FROM pg_catalog.pg_rewrite r WHERE r.ev_class = ? AND r.ev_type <> '1')")) {
            ps.setLong(1, oid);
            ps.setLong(2, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                triggers = rs.getInt(1);
                rules = rs.getInt(2);
            }
        }
        if (triggers > 0 || rules > 0 || rowSecurity) {
            throw new ReplayStreamException(relation.displayName() + " has " + triggers + " enabled triggers"
                    + " (foreign keys count), " + rules + " rules and row security " + (rowSecurity ? "on" : "off")
                    + " in the target: they would act during replay. Restore the base backup so that foreign keys,"
                    + " triggers, rules and policies are created after replay (BaseRestorer does)");
        }
        boolean otherUnique = false;
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT i.indisunique OR i.indisexclusion,"
                        + " i.indisprimary, i.indisreplident, i.indimmediate FROM pg_catalog.pg_index i WHERE i.indrelid = ?")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean constraining = rs.getBoolean(1) && rs.getBoolean(4);
                    boolean keyIndex = relation.replicaIdentity() == 'd' ? rs.getBoolean(2) : rs.getBoolean(3);
                    if (constraining && !(relation.hasUniqueKey() && keyIndex)) {
                        otherUnique = true;
                    }
                }
            }
        }
        return new TargetTable(
                connection,
                relation,
                types,
                identityAlways.stream().mapToInt(Integer::intValue).toArray(),
                otherUnique,
                counters);
    }

    SourceRelation relation() {
        return relation;
    }

    String name() {
        return name;
    }

    /** Writes one flush of the table. */
    void write(PendingTable.Plan plan) throws SQLException {
        List<PendingTable.Move> moves = new ArrayList<>(plan.moves());
        List<Object[]> updates = plan.updates();
        if (nonKeyIdentityAlways.length > 0 && !updates.isEmpty()) {
            Set<Integer> changed = identityChanged(updates);
            if (!changed.isEmpty()) {
                List<Object[]> keep = new ArrayList<>(updates.size() - changed.size());
                for (int i = 0; i < updates.size(); i++) {
                    Object[] image = updates.get(i);
                    if (changed.contains(i)) {
                        moves.add(new PendingTable.Move(RowKey.of(image, relation), image));
                    } else {
                        keep.add(image);
                    }
                }
                updates = keep;
            }
        }
        fillFromTarget(moves);
        List<RowKey> deletes = new ArrayList<>(plan.deletes().size() + moves.size());
        deletes.addAll(plan.deletes());
        moves.forEach(m -> deletes.add(m.origin()));
        deleteKeys(deletes);
        removeImages(plan.removals());
        List<Object[]> rewritten = updateInPlace(updates);
        List<Object[]> inserts = new ArrayList<>(plan.inserts().size() + moves.size() + rewritten.size());
        inserts.addAll(plan.inserts());
        moves.forEach(m -> inserts.add(m.image()));
        inserts.addAll(rewritten);
        copy(inserts);
    }

    // ---- statements

    private void deleteKeys(List<RowKey> keys) throws SQLException {
        if (keys.isEmpty()) {
            return;
        }
        if (deleteSql == null) {
            StringBuilder sql =
                    new StringBuilder("DELETE FROM ").append(name).append(" AS t USING (SELECT * FROM unnest(");
            keyArrayParams(sql);
            sql.append(") AS u(");
            keyAliases(sql);
            sql.append(')');
            keyOrder(sql);
            sql.append(") AS v WHERE ");
            keyMatch(sql);
            deleteSql = sql.toString();
        }
        long started = System.nanoTime();
        try (PreparedStatement ps = connection.prepareStatement(deleteSql)) {
            int p = 1;
            for (int k = 0; k < relation.keyCount(); k++) {
                ps.setArray(p++, textArray(keys, k));
            }
            int n = ps.executeUpdate();
            counters.deleted += n;
            counters.statements++;
            traced("DELETE", n, started);
            if (n != keys.size()) {
                throw diverged("DELETE", keys.size(), n, keys);
            }
        }
    }

    private void removeImages(List<PendingTable.Removal> removals) throws SQLException {
        if (removals.isEmpty()) {
            return;
        }
        if (removeSql == null) {
            // Rows are matched on their text forms, rendered by this session on both sides, so types without an
            // equality operator (json, point) compare too; the joined key makes it one hash join over the table.
            StringBuilder targetKey = new StringBuilder("concat_ws(',', ");
            StringBuilder givenKey = new StringBuilder("concat_ws(',', ");
            StringBuilder arrays = new StringBuilder("CAST(? AS int4[]), CAST(? AS int4[])");
            StringBuilder aliases = new StringBuilder("i, n");
            for (int c = 0; c < columns.length; c++) {
                String sep = c == 0 ? "" : ", ";
                targetKey
                        .append(sep)
                        .append("quote_nullable(CAST(t.")
                        .append(columns[c])
                        .append(" AS text))");
                givenKey.append(sep)
                        .append("quote_nullable(CAST(CAST(u.c")
                        .append(c)
                        .append(" AS ")
                        .append(types[c])
                        .append(") AS text))");
                arrays.append(", CAST(? AS text[])");
                aliases.append(", c").append(c);
            }
            targetKey.append(')');
            givenKey.append(')');
            removeSql = "DELETE FROM " + name + " WHERE ctid = ANY (ARRAY(SELECT m.ctid FROM (SELECT t.ctid, v.n,"
                    + " row_number() OVER (PARTITION BY v.i) AS r FROM " + name + " AS t JOIN (SELECT u.i, u.n, "
                    + givenKey + " AS k FROM unnest(" + arrays + ") AS u(" + aliases + ")) AS v ON " + targetKey
                    + " = v.k) AS m WHERE m.r <= m.n))";
        }
        int expected = 0;
        Integer[] ordinals = new Integer[removals.size()];
        Integer[] counts = new Integer[removals.size()];
        for (int i = 0; i < removals.size(); i++) {
            ordinals[i] = i;
            counts[i] = removals.get(i).count();
            expected += counts[i];
        }
        try (PreparedStatement ps = connection.prepareStatement(removeSql)) {
            ps.setArray(1, connection.createArrayOf("int4", ordinals));
            ps.setArray(2, connection.createArrayOf("int4", counts));
            for (int c = 0; c < columns.length; c++) {
                Object[] values = new Object[removals.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = removals.get(i).image()[c];
                }
                ps.setArray(3 + c, textArrayOf(values));
            }
            int n = ps.executeUpdate();
            counters.deleted += n;
            counters.statements++;
            if (n != expected) {
                throw diverged("DELETE of whole rows", expected, n);
            }
        }
    }

    /** Updates rows in place; returns the rows it had to rewrite as delete + insert instead (already deleted). */
    private List<Object[]> updateInPlace(List<Object[]> updates) throws SQLException {
        if (updates.isEmpty()) {
            return List.of();
        }
        Map<BitSet, List<Object[]>> groups = new HashMap<>();
        for (Object[] image : updates) {
            BitSet set = new BitSet(columns.length);
            for (int c = 0; c < columns.length; c++) {
                if (!relation.columns().get(c).key() && !Change.isUnchanged(image[c]) && !identityAlways(c)) {
                    set.set(c);
                }
            }
            groups.computeIfAbsent(set, s -> new ArrayList<>()).add(image);
        }
        if (!otherUniqueIndex || updates.size() == 1) {
            for (Map.Entry<BitSet, List<Object[]>> g : groups.entrySet()) {
                update(g.getKey(), g.getValue());
            }
            return List.of();
        }
        Savepoint savepoint = connection.setSavepoint();
        try {
            for (Map.Entry<BitSet, List<Object[]>> g : groups.entrySet()) {
                update(g.getKey(), g.getValue());
            }
            connection.releaseSavepoint(savepoint);
            return List.of();
        } catch (SQLException e) {
            if (!"23505".equals(e.getSQLState()) && !"23P01".equals(e.getSQLState())) {
                throw e;
            }
            connection.rollback(savepoint);
            log.debug(
                    "collapsed updates of {} collide on a unique index ({}); rewriting {} rows as delete + insert",
                    relation.displayName(),
                    e.getMessage(),
                    updates.size());
            counters.rewrites += updates.size();
            List<PendingTable.Move> rewrite = new ArrayList<>(updates.size());
            List<RowKey> keys = new ArrayList<>(updates.size());
            for (Object[] image : updates) {
                RowKey k = RowKey.of(image, relation);
                rewrite.add(new PendingTable.Move(k, image));
                keys.add(k);
            }
            fillFromTarget(rewrite);
            deleteKeys(keys);
            return updates;
        }
    }

    private void update(BitSet set, List<Object[]> rows) throws SQLException {
        if (set.isEmpty()) {
            return; // only key columns, or nothing but unchanged TOAST: the row stays as it is
        }
        String sql = updateSql.computeIfAbsent(set, this::updateStatement);
        long started = System.nanoTime();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            int p = 1;
            for (int k = 0; k < relation.keyCount(); k++) {
                ps.setArray(p++, column(rows, relation.keyIndex(k)));
            }
            for (int c = set.nextSetBit(0); c >= 0; c = set.nextSetBit(c + 1)) {
                ps.setArray(p++, column(rows, c));
            }
            int n = ps.executeUpdate();
            counters.updated += n;
            counters.statements++;
            traced("UPDATE", n, started);
            if (n != rows.size()) {
                throw diverged(
                        "UPDATE",
                        rows.size(),
                        n,
                        rows.stream().map(r -> RowKey.of(r, relation)).toList());
            }
        }
    }

    private String updateStatement(BitSet set) {
        StringBuilder sql = new StringBuilder("UPDATE ").append(name).append(" AS t SET ");
        String sep = "";
        for (int c = set.nextSetBit(0); c >= 0; c = set.nextSetBit(c + 1)) {
            sql.append(sep)
                    .append(columns[c])
                    .append(" = CAST(v.c")
                    .append(c)
                    .append(" AS ")
                    .append(types[c])
                    .append(')');
            sep = ", ";
        }
        sql.append(" FROM (SELECT * FROM unnest(");
        keyArrayParams(sql);
        for (int c = set.nextSetBit(0); c >= 0; c = set.nextSetBit(c + 1)) {
            sql.append(", CAST(? AS text[])");
        }
        sql.append(") AS u(");
        keyAliases(sql);
        for (int c = set.nextSetBit(0); c >= 0; c = set.nextSetBit(c + 1)) {
            sql.append(", c").append(c);
        }
        sql.append(')');
        keyOrder(sql);
        sql.append(") AS v WHERE ");
        keyMatch(sql);
        return sql.toString();
    }

    /** Positions in {@code updates} of rows whose non-key GENERATED ALWAYS identity value differs in the target. */
    private Set<Integer> identityChanged(List<Object[]> updates) throws SQLException {
        StringBuilder sql =
                new StringBuilder("SELECT v.i FROM ").append(name).append(" AS t JOIN unnest(CAST(? AS int4[]), ");
        keyArrayParams(sql);
        for (int c : nonKeyIdentityAlways) {
            sql.append(", CAST(? AS text[])");
        }
        sql.append(") AS v(i, ");
        keyAliases(sql);
        for (int c : nonKeyIdentityAlways) {
            sql.append(", c").append(c);
        }
        sql.append(") ON ");
        keyMatch(sql);
        sql.append(" WHERE ");
        String sep = "";
        for (int c : nonKeyIdentityAlways) {
            sql.append(sep)
                    .append("t.")
                    .append(columns[c])
                    .append(" IS DISTINCT FROM CAST(v.c")
                    .append(c)
                    .append(" AS ")
                    .append(types[c])
                    .append(')');
            sep = " OR ";
        }
        Set<Integer> changed = new HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            int p = 1;
            ps.setArray(p++, ordinals(updates.size()));
            for (int k = 0; k < relation.keyCount(); k++) {
                ps.setArray(p++, column(updates, relation.keyIndex(k)));
            }
            for (int c : nonKeyIdentityAlways) {
                ps.setArray(p++, column(updates, c));
            }
            counters.statements++;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    changed.add(rs.getInt(1));
                }
            }
        }
        return changed;
    }

    /** Replaces unchanged-TOAST markers in moved rows with the values their origin rows have in the target. */
    private void fillFromTarget(List<PendingTable.Move> moves) throws SQLException {
        List<PendingTable.Move> partial = new ArrayList<>();
        BitSet missing = new BitSet(columns.length);
        for (PendingTable.Move m : moves) {
            boolean any = false;
            for (int c = 0; c < columns.length; c++) {
                if (Change.isUnchanged(m.image()[c])) {
                    missing.set(c);
                    any = true;
                }
            }
            if (any) {
                partial.add(m);
            }
        }
        if (partial.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder("SELECT v.i");
        for (int c = missing.nextSetBit(0); c >= 0; c = missing.nextSetBit(c + 1)) {
            sql.append(", CAST(t.").append(columns[c]).append(" AS text)");
        }
        sql.append(" FROM ").append(name).append(" AS t JOIN unnest(CAST(? AS int4[]), ");
        keyArrayParams(sql);
        sql.append(") AS v(i, ");
        keyAliases(sql);
        sql.append(") ON ");
        keyMatch(sql);
        int found = 0;
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            ps.setArray(1, ordinals(partial.size()));
            List<RowKey> origins =
                    partial.stream().map(PendingTable.Move::origin).toList();
            for (int k = 0; k < relation.keyCount(); k++) {
                ps.setArray(2 + k, textArray(origins, k));
            }
            counters.statements++;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Object[] image = partial.get(rs.getInt(1)).image();
                    int col = 2;
                    for (int c = missing.nextSetBit(0); c >= 0; c = missing.nextSetBit(c + 1)) {
                        if (Change.isUnchanged(image[c])) {
                            image[c] = rs.getString(col);
                        }
                        col++;
                    }
                    found++;
                }
            }
        }
        if (found != partial.size()) {
            throw diverged("lookup of rows whose key changed", partial.size(), found);
        }
    }

    private void copy(List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        if (copySql == null) {
            copySql = "COPY " + name + " (" + String.join(", ", columns) + ") FROM STDIN";
        }
        long started = System.nanoTime();
        CopyManager copyApi = connection.unwrap(PGConnection.class).getCopyAPI();
        CopyIn in = copyApi.copyIn(copySql);
        try {
            StringBuilder buffer = new StringBuilder(Math.min(COPY_BUFFER_CHARS, rows.size() * 64));
            for (Object[] row : rows) {
                CopyText.appendRow(buffer, row);
                if (buffer.length() >= COPY_BUFFER_CHARS) {
                    send(in, buffer);
                }
            }
            send(in, buffer);
            long n = in.endCopy();
            counters.copied += n;
            counters.statements++;
            traced("COPY", n, started);
            if (n != rows.size()) {
                throw diverged("COPY", rows.size(), n);
            }
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    private static void send(CopyIn in, StringBuilder buffer) throws SQLException {
        if (buffer.isEmpty()) {
            return;
        }
        byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
        in.writeToCopy(bytes, 0, bytes.length);
        buffer.setLength(0);
    }

    private void traced(String statement, long rows, long startedNanos) {
        if (log.isTraceEnabled()) {
            log.trace(
                    "{} {}: {} rows in {} µs",
                    statement,
                    relation.displayName(),
                    rows,
                    (System.nanoTime() - startedNanos) / 1000);
        }
    }

    // ---- SQL fragments and parameters

    private boolean identityAlways(int column) {
        for (int c : nonKeyIdentityAlways) {
            if (c == column) {
                return true;
            }
        }
        return false;
    }

    private void keyArrayParams(StringBuilder sql) {
        for (int k = 0; k < relation.keyCount(); k++) {
            sql.append(k == 0 ? "" : ", ").append("CAST(? AS text[])");
        }
    }

    private void keyAliases(StringBuilder sql) {
        for (int k = 0; k < relation.keyCount(); k++) {
            sql.append(k == 0 ? "" : ", ").append('k').append(k);
        }
    }

    /**
     * Visits the rows in key order: the index is then walked, and the heap (often loaded in key order) touched, in
     * order, which makes a large set-based update or delete about a third faster than in arrival order.
     */
    private void keyOrder(StringBuilder sql) {
        for (int k = 0; k < relation.keyCount(); k++) {
            int c = relation.keyIndex(k);
            sql.append(k == 0 ? " ORDER BY " : ", ")
                    .append("CAST(u.k")
                    .append(k)
                    .append(" AS ")
                    .append(types[c])
                    .append(')');
        }
    }

    private void keyMatch(StringBuilder sql) {
        for (int k = 0; k < relation.keyCount(); k++) {
            int c = relation.keyIndex(k);
            sql.append(k == 0 ? "" : " AND ")
                    .append("t.")
                    .append(columns[c])
                    .append(" = CAST(v.k")
                    .append(k)
                    .append(" AS ")
                    .append(types[c])
                    .append(')');
        }
    }

    private Array textArray(List<RowKey> keys, int k) throws SQLException {
        Object[] values = new Object[keys.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = keys.get(i).value(k);
        }
        return textArrayOf(values);
    }

    private Array column(List<Object[]> rows, int c) throws SQLException {
        Object[] values = new Object[rows.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = rows.get(i)[c];
        }
        return textArrayOf(values);
    }

    /**
     * A {@code text[]} parameter. Values in text form travel as a {@code String[]}, which pgjdbc sends in binary: no
     * array literal to build and escape, which took a fifth of the replay writer's time in its profile (BenchmarkSuite,
     * pgbench) as an {@code Object[]}. Anything other than text or null keeps that literal path.
     */
    private Array textArrayOf(Object[] values) throws SQLException {
        String[] text = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null && !(values[i] instanceof String)) {
                return connection.createArrayOf("text", values);
            }
            text[i] = (String) values[i];
        }
        return connection.createArrayOf("text", text);
    }

    private Array ordinals(int n) throws SQLException {
        Integer[] values = new Integer[n];
        for (int i = 0; i < n; i++) {
            values[i] = i;
        }
        return connection.createArrayOf("int4", values);
    }

    private ReplayStreamException diverged(String what, long expected, long actual) {
        return new ReplayStreamException(
                what + " on " + relation.displayName() + " touched " + actual + " rows where the" + " stream has "
                        + expected + ": the target does not match the stream it is replayed from");
    }

    /** As above, naming (some of) the keys the target lacks. */
    private ReplayStreamException diverged(String what, long expected, long actual, List<RowKey> keys)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT v.i FROM unnest(CAST(? AS int4[]), ");
        keyArrayParams(sql);
        sql.append(") AS v(i, ");
        keyAliases(sql);
        sql.append(") WHERE NOT EXISTS (SELECT 1 FROM ").append(name).append(" AS t WHERE ");
        keyMatch(sql);
        sql.append(") ORDER BY v.i LIMIT 5");
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            ps.setArray(1, ordinals(keys.size()));
            for (int k = 0; k < relation.keyCount(); k++) {
                ps.setArray(2 + k, textArray(keys, k));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    missing.add(keys.get(rs.getInt(1)).toString());
                }
            }
        }
        return new ReplayStreamException(what + " on " + relation.displayName() + " touched " + actual
                + " rows where the"
                + " stream has " + expected + " (keys not in the target: " + missing + "): the target does not match"
                + " the stream it is replayed from");
    }
}
