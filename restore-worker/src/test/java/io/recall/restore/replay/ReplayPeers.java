package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.pg.SqlIdentifiers;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.TransactionChunk;
import io.recall.testsupport.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The peers Recall's replay is measured against, shared by {@link RecallReplayBenchmark} and the benchmark suite
 * (benchmarks/): native logical replication applying the same backlog, a plain COPY of the same row images, and the
 * table hashes that check each result against the source.
 */
public final class ReplayPeers {

    private ReplayPeers() {}

    /** Rows per second for {@code rows} rows since {@code startNanos} ({@link System#nanoTime()}). */
    public static double rate(long rows, long startNanos) {
        return rows / ((System.nanoTime() - startNanos) / 1e9);
    }

    /**
     * Native logical replication: a subscription on {@code target} (restored from the same base backup, post-data
     * included) to {@code publication} of the source database, fed by {@code slot}, created at the same point as
     * the captured stream's. The clock starts when the apply worker runs (the launcher's start-up delay is not
     * counted) and stops when the subscription's replication origin reaches {@code lastEnd}, the end LSN of the
     * backlog's last transaction. The subscription is dropped afterwards and the slot with it.
     *
     * @return {@code changes} per second
     */
    public static double nativeApplyRate(
            PostgresCluster pg,
            Connection target,
            String sourceDb,
            String user,
            String password,
            String publication,
            String slot,
            long lastEnd,
            long changes)
            throws SQLException {
        String conninfo = "host=" + pg.host() + " port=" + pg.port() + " dbname=" + sourceDb + " user=" + user
                + " password=" + password;
        String sub = "sub_" + slot;
        double rate;
        try (Statement st = target.createStatement()) {
            st.execute("CREATE SUBSCRIPTION " + sub + " CONNECTION " + SqlIdentifiers.literal(conninfo)
                    + " PUBLICATION " + SqlIdentifiers.quote(publication) + " WITH (create_slot = false,"
                    + " slot_name = " + SqlIdentifiers.literal(slot) + ", copy_data = false, enabled = false)");
            st.execute("ALTER SUBSCRIPTION " + sub + " ENABLE");
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> applyWorkerRunning(target, sub));
            long t0 = System.nanoTime();
            await().atMost(Duration.ofMinutes(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> Long.compareUnsigned(originProgress(target, sub), lastEnd) >= 0);
            rate = rate(changes, t0);
            st.execute("ALTER SUBSCRIPTION " + sub + " DISABLE");
            st.execute("ALTER SUBSCRIPTION " + sub + " SET (slot_name = NONE)");
            st.execute("DROP SUBSCRIPTION " + sub);
        }
        pg.execute(sourceDb, "SELECT pg_drop_replication_slot('" + slot + "')");
        return rate;
    }

    private static boolean applyWorkerRunning(Connection c, String subscription) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL"
                        + " AND subname = " + SqlIdentifiers.literal(subscription))) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    private static long originProgress(Connection c, String subscription) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_replication_origin_progress('pg_' || oid, false)::text"
                        + " FROM pg_subscription WHERE subname = " + SqlIdentifiers.literal(subscription))) {
            if (!rs.next() || rs.getString(1) == null) {
                return 0;
            }
            return Lsn.parse(rs.getString(1)).value();
        }
    }

    /**
     * COPYs each change's row image (new row, or old row of a delete) into an empty table per relation, in a schema
     * {@code schema} created for it: with the source table's indexes where the relation only saw inserts (as the
     * replayed table has them), without where keys repeat (updates of one row).
     *
     * @return {@code changes} per second, the COPYs alone timed
     */
    public static double copyImagesRate(Connection c, List<TransactionChunk> chunks, long changes, String schema)
            throws SQLException {
        Map<String, List<List<Object>>> rows = new LinkedHashMap<>();
        Map<String, RelationDef> defs = new LinkedHashMap<>();
        Set<String> notInsertOnly = new HashSet<>();
        for (TransactionChunk chunk : chunks) {
            Map<Integer, RelationDef> byId = new HashMap<>();
            chunk.getRelations().forEach(r -> byId.put(r.getRelationId(), r));
            for (RowChange rc : chunk.getChanges()) {
                RelationDef r = byId.get(rc.getRelationId());
                if (r == null) {
                    continue;
                }
                String name = SqlIdentifiers.qualified(r.getSchema$(), r.getTable());
                defs.putIfAbsent(name, r);
                if (rc.getOp() != Op.INSERT) {
                    notInsertOnly.add(name);
                }
                rows.computeIfAbsent(name, k -> new ArrayList<>())
                        .add(rc.getNewValues() != null ? rc.getNewValues() : rc.getOldValues());
            }
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
            for (Map.Entry<String, RelationDef> e : defs.entrySet()) {
                st.execute("CREATE TABLE " + schema + "."
                        + SqlIdentifiers.quote(e.getValue().getTable()) + " (LIKE "
                        + e.getKey() + " INCLUDING DEFAULTS"
                        + (notInsertOnly.contains(e.getKey()) ? "" : " INCLUDING INDEXES") + ")");
            }
        }
        c.commit();
        long t0 = System.nanoTime();
        for (Map.Entry<String, List<List<Object>>> e : rows.entrySet()) {
            RelationDef r = defs.get(e.getKey());
            String columns = String.join(
                    ", ",
                    r.getColumns().stream()
                            .map(col -> SqlIdentifiers.quote(col.getName()))
                            .toList());
            CopyIn in = c.unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyIn("COPY " + schema + "." + SqlIdentifiers.quote(r.getTable()) + " (" + columns
                            + ") FROM STDIN");
            StringBuilder b = new StringBuilder();
            for (List<Object> row : e.getValue()) {
                CopyText.appendRow(b, row.toArray());
                if (b.length() > 1 << 20) {
                    byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
                    in.writeToCopy(bytes, 0, bytes.length);
                    b.setLength(0);
                }
            }
            byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(bytes, 0, bytes.length);
            assertThat(in.endCopy()).isEqualTo(e.getValue().size());
        }
        c.commit();
        double rate = rate(changes, t0);
        c.setAutoCommit(autoCommit);
        return rate;
    }

    /** Per table, its row count and an MD5 of its rows in a fixed order: equal hashes, equal contents. */
    public static Map<String, String> hashes(Connection c, List<String> tables) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String t : tables) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text,"
                            + " '|' ORDER BY t::text COLLATE \"C\")), '') FROM " + t + " t");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                out.put(t, rs.getString(1));
            }
        }
        return out;
    }
}
