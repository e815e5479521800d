package io.recall.restore.replay;

import static io.recall.worker.capture.PgOutputStream.TOAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recall.common.Lsn;
import io.recall.schemas.change.TransactionChunk;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import io.recall.worker.capture.PgOutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The replay engine's rarer paths against a real PostgreSQL, each made to happen on purpose: chunks are cut by the
 * stream worker's own assembler from hand-written pgoutput messages, and each target table is created directly.
 */
class ReplayEdgeCasesIT {

    private static final Instant AT = Instant.parse("2026-11-23T10:00:00Z");
    private static final Cutoff ALL = new Cutoff(new Lsn(Long.MAX_VALUE), new RestoreTarget.Latest());
    private static final ReplaySettings PER_TRANSACTION = new ReplaySettings(1, 1, 1 << 20);

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    private ReplayResult replay(String db, List<TransactionChunk> chunks, ReplaySettings settings) throws SQLException {
        try (Connection c = pg.connect(db)) {
            return new ReplayEngine(c, settings).replay(chunks.iterator(), Lsn.INVALID, ALL);
        }
    }

    private List<String> rows(String db, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /**
     * A batch's writes and its commit go to the writer as one hand-over, so the reader reads the next batch while
     * the target writes this one. The target's table sleeps 3 s per row (its CHECK constraint); when the reader
     * asks for the second transaction, the writer must still be in that sleep. Were the commit handed over on its
     * own, the reader would wait for the writes to end and find the writer idle.
     */
    @Test
    void theNextBatchIsReadWhileTheTargetWritesThisOne() throws Exception {
        String db = pg.createDatabase("edge");
        pg.execute(
                db,
                "CREATE FUNCTION slow(int) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(3) IS NOT NULL'",
                "CREATE TABLE items (id int PRIMARY KEY, v int CHECK (slow(v)))");
        PgOutputStream s = new PgOutputStream(4096).relation(1, "public", "items", 'd', "id*", "v");
        s.begin(0x100, 1, AT).insert(1, "1", "10").commit();
        s.begin(0x200, 2, AT).insert(1, "2", "20").commit();
        List<TransactionChunk> chunks = s.chunks();
        List<String> seenWhileReading = new ArrayList<>();
        java.util.Iterator<TransactionChunk> watched = new java.util.Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < chunks.size();
            }

            @Override
            public TransactionChunk next() {
                TransactionChunk c = chunks.get(next++);
                if (c.getXid() == 2 && seenWhileReading.isEmpty()) {
                    seenWhileReading.add(writerWaitEvent(db));
                }
                return c;
            }
        };
        try (Connection c = pg.connect(db)) {
            new ReplayEngine(c, PER_TRANSACTION).replay(watched, Lsn.INVALID, ALL);
        }
        assertThat(seenWhileReading)
                .as("what the writer was doing when the reader read the second transaction")
                .containsExactly("PgSleep");
        assertThat(rows(db, "SELECT id || ' ' || v FROM items ORDER BY id")).containsExactly("1 10", "2 20");
    }

    /** "PgSleep" if a session of {@code db} sleeps (in the CHECK constraint) within 1.5 s of asking, else "none". */
    private String writerWaitEvent(String db) {
        long deadline = System.nanoTime() + 1_500_000_000L;
        try (Connection c = pg.connect(db);
                java.sql.PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND wait_event = 'PgSleep'")) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return "PgSleep";
                    }
                }
                Thread.sleep(20);
            }
            return "none";
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void collapsedUpdatesThatSwapAUniqueValueAreRewrittenAsDeleteAndInsert() throws Exception {
        String db = pg.createDatabase("edge");
        pg.execute(
                db,
                "CREATE TABLE slots (id int PRIMARY KEY, code text NOT NULL UNIQUE, holder text)",
                "INSERT INTO slots VALUES (1, 'a', 'x'), (2, 'b', 'y'), (3, 'c', NULL)");
        PgOutputStream s = new PgOutputStream(4096).relation(1, "public", "slots", 'd', "id*", "code", "holder");
        s.begin(0x100, 1, AT)
                .update(1, "1", "tmp", "x")
                .update(1, "2", "a", "y")
                .update(1, "1", "b", "x")
                .commit();
        ReplayResult r = replay(db, s.chunks(), ReplaySettings.defaults());
        assertThat(rows(db, "SELECT s::text FROM slots s ORDER BY id")).containsExactly("(1,b,x)", "(2,a,y)", "(3,c,)");
        assertThat(r.rowsUpdated()).as("the in-place update was rolled back").isZero();
        assertThat(r.rowsDeleted()).isEqualTo(2);
        assertThat(r.rowsCopied()).isEqualTo(2);
    }

    @Test
    void aGeneratedAlwaysIdentityOutsideTheKeyTakesTheValueTheSourceGaveIt() throws Exception {
        String db = pg.createDatabase("edge");
        pg.execute(
                db,
                "CREATE TABLE tickets (code text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY,"
                        + " status text, body text)",
                "ALTER TABLE tickets ALTER COLUMN body SET STORAGE EXTERNAL",
                "INSERT INTO tickets (code, status, body) VALUES ('T1', 'open', repeat('x', 5000)),"
                        + " ('T2', 'open', 'short')");
        PgOutputStream s =
                new PgOutputStream(4096).relation(1, "public", "tickets", 'd', "code*", "seq", "status", "body");
        s.begin(0x100, 1, AT)
                .update(1, "T1", "7", "renumbered", TOAST)
                .update(1, "T2", "2", "closed", "short")
                .commit();
        for (ReplaySettings settings : List.of(ReplaySettings.defaults(), PER_TRANSACTION)) {
            String copy = pg.createDatabase("edge");
            pg.execute(
                    copy,
                    "CREATE TABLE tickets (code text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY,"
                            + " status text, body text)",
                    "INSERT INTO tickets (code, status, body) VALUES ('T1', 'open', repeat('x', 5000)),"
                            + " ('T2', 'open', 'short')");
            replay(copy, s.chunks(), settings);
            assertThat(rows(
                            copy,
                            "SELECT code || ' ' || seq || ' ' || status || ' ' || length(body) FROM tickets"
                                    + " ORDER BY code"))
                    .containsExactly("T1 7 renumbered 5000", "T2 2 closed 5");
        }
    }

    @Test
    void keyChangesAndKeySwapsKeepUnchangedToastValues() throws Exception {
        PgOutputStream s = new PgOutputStream(4096).relation(1, "public", "docs", 'd', "id*", "body", "v");
        Object[] key1 = {"1", null, null};
        s.begin(0x100, 1, AT).updateKey(1, key1, "100", TOAST, "1").commit();
        // swap 2 and 100 through -1, TOASTed bodies untouched
        s.begin(0x200, 2, AT)
                .updateKey(1, new Object[] {"100", null, null}, "-1", TOAST, "2")
                .updateKey(1, new Object[] {"2", null, null}, "100", TOAST, "2")
                .updateKey(1, new Object[] {"-1", null, null}, "2", TOAST, "3")
                .commit();
        for (ReplaySettings settings : List.of(ReplaySettings.defaults(), PER_TRANSACTION)) {
            String db = pg.createDatabase("edge");
            pg.execute(
                    db,
                    "CREATE TABLE docs (id int PRIMARY KEY, body text, v int)",
                    "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
                    "INSERT INTO docs VALUES (1, repeat('one ', 2000), 0), (2, repeat('two ', 2000), 0)");
            replay(db, s.chunks(), settings);
            assertThat(rows(db, "SELECT id || ' ' || left(body, 4) || length(body) || ' ' || v FROM docs ORDER BY id"))
                    .as("with %s", settings)
                    .containsExactly("2 one 8000 3", "100 two 8000 2");
        }
    }

    @Test
    void fullIdentityTablesMatchWholeRowsIncludingNullsJsonAndEqualTwins() throws Exception {
        String db = pg.createDatabase("edge");
        pg.execute(
                db,
                "CREATE TABLE events (a text, b json, c int)",
                "ALTER TABLE events REPLICA IDENTITY FULL",
                "INSERT INTO events VALUES ('x', '{\"k\":  1}', 1), ('x', '{\"k\":  1}', 1), ('y', NULL, NULL)");
        PgOutputStream s = new PgOutputStream(4096).relation(1, "public", "events", 'f', "a*", "b*", "c*");
        s.begin(0x100, 1, AT)
                .deleteFull(1, "x", "{\"k\":  1}", "1")
                .updateFull(1, new Object[] {"y", null, null}, "y", "[]", "2")
                .insert(1, "z", "{}", null)
                .insert(1, "z", "{}", null)
                .deleteFull(1, "z", "{}", null)
                .commit();
        s.begin(0x200, 2, AT)
                .deleteFull(1, "z", "{}", null)
                .insert(1, "w", null, "5")
                .commit();
        replay(db, s.chunks(), PER_TRANSACTION);
        assertThat(rows(db, "SELECT e::text FROM events e ORDER BY 1"))
                .containsExactly("(w,,5)", "(x,\"{\"\"k\"\":  1}\",1)", "(y,[],2)");
    }

    @Test
    void aTruncateDropsWhatWasPendingAndRestartsIdentity() throws Exception {
        String db = pg.createDatabase("edge");
        pg.execute(
                db,
                "CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text)",
                "CREATE TABLE other (id int PRIMARY KEY)",
                "INSERT INTO items (name) VALUES ('a'), ('b')");
        PgOutputStream s = new PgOutputStream(4096)
                .relation(1, "public", "items", 'd', "id*", "name")
                .relation(2, "public", "other", 'd', "id*");
        s.begin(0x100, 1, AT)
                .insert(1, "3", "c")
                .insert(2, "1")
                .update(1, "1", "a2")
                .truncate(false, true, 1)
                .insert(1, "1", "d")
                .insert(2, "2")
                .commit();
        replay(db, s.chunks(), ReplaySettings.defaults());
        assertThat(rows(db, "SELECT i::text FROM items i")).containsExactly("(1,d)");
        assertThat(rows(db, "SELECT count(*)::text FROM other")).containsExactly("2");
        assertThat(rows(db, "SELECT nextval(pg_get_serial_sequence('items', 'id'))::text"))
                .as("RESTART IDENTITY reset the sequence")
                .containsExactly("1");
    }

    @Test
    void valuesOfEveryKindRoundTripThroughCopyAndSetBasedUpdates() throws Exception {
        String columns = "(id int PRIMARY KEY, t text, b bytea, a text[], j jsonb, ts timestamptz, u uuid, e mood,"
                + " n numeric(10,3), f float8, i interval, r int4range, x xml, bits bit varying(8), d date)";
        String db = pg.createDatabase("edge");
        pg.execute(
                db,
                "CREATE TYPE mood AS ENUM ('sad', 'ok')",
                "CREATE TABLE kinds " + columns,
                "CREATE TABLE expected " + columns);
        Object[][] values = {
            {
                "1",
                "tab\there\nnew line\\ back\\slash \\N \\. é😀 'q' \"d\"",
                "\\x00ff0a09",
                "{\"a b\",NULL,\"c\\\"d\"}",
                "{\"k\": [1, \"\\t\"]}",
                "2026-03-04 05:06:07.123456+00",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "sad",
                "12.340",
                "-0",
                "1 year 2 mons 3 days 04:05:06",
                "[1,5)",
                "<a b=\"1\">x</a>",
                "1010",
                "infinity"
            },
            {
                "2",
                "",
                null,
                "{}",
                "null",
                "-infinity",
                null,
                "ok",
                "NaN",
                "NaN",
                "-00:00:01",
                "empty",
                null,
                "",
                "2026-01-01"
            },
        };
        PgOutputStream s = new PgOutputStream(4096)
                .relation(
                        1, "public", "kinds", 'd', "id*", "t", "b", "a", "j", "ts", "u", "e", "n", "f", "i", "r", "x",
                        "bits", "d");
        s.begin(0x100, 1, AT).insert(1, values[0]).insert(1, values[1]).commit();
        // an update through the set-based path with the same awkward values swapped between the rows
        Object[] second = values[0].clone();
        second[0] = "2";
        Object[] first = values[1].clone();
        first[0] = "1";
        s.begin(0x200, 2, AT).update(1, first).update(1, second).commit();
        replay(db, s.chunks(), PER_TRANSACTION);
        try (Connection c = pg.connect(db)) {
            for (Object[] row : new Object[][] {first, second}) {
                StringBuilder sql = new StringBuilder("INSERT INTO expected VALUES (");
                for (int i = 0; i < row.length; i++) {
                    sql.append(i == 0 ? "" : ", ").append(row[i] == null ? "NULL" : "?");
                }
                try (var ps = c.prepareStatement(sql.append(")").toString())) {
                    int p = 1;
                    for (Object v : row) {
                        if (v != null) {
                            ps.setObject(p++, v, java.sql.Types.OTHER);
                        }
                    }
                    ps.executeUpdate();
                }
            }
        }
        assertThat(rows(db, "SELECT k::text FROM kinds k ORDER BY id"))
                .isEqualTo(rows(db, "SELECT k::text FROM expected k ORDER BY id"))
                .hasSize(2);
    }

    @Test
    void aRowTheTargetLacksFailsTheReplayAndKeepsWhatWasCommitted() throws Exception {
        String db = pg.createDatabase("edge");
        pg.execute(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t VALUES (1, 'a')");
        PgOutputStream s = new PgOutputStream(4096).relation(1, "public", "t", 'd', "id*", "v");
        s.begin(0x100, 1, AT).update(1, "1", "b").commit();
        s.begin(0x200, 2, AT).update(1, "1", "c").update(1, "5", "x").commit();
        assertThatThrownBy(() -> replay(db, s.chunks(), PER_TRANSACTION))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("UPDATE on public.t touched 1 rows where the stream has 2")
                .hasMessageContaining("[5]")
                .hasMessageContaining("0/200");
        assertThat(rows(db, "SELECT v FROM t"))
                .as("the failed transaction left nothing")
                .containsExactly("b");
        try (Connection c = pg.connect(db)) {
            assertThat(ReplayEngine.appliedThrough(c).orElseThrow().commitLsn()).isEqualTo(new Lsn(0x100));
        }
    }

    @Test
    void tablesWithTriggersOrForeignKeysAreRefused() {
        String db = pg.createDatabase("edge");
        pg.execute(
                db,
                "CREATE TABLE p (id int PRIMARY KEY)",
                "CREATE TABLE c (id int PRIMARY KEY," + " p int REFERENCES p (id))");
        PgOutputStream s = new PgOutputStream(4096).relation(1, "public", "c", 'd', "id*", "p");
        s.begin(0x100, 1, AT).insert(1, "1", null).commit();
        assertThatThrownBy(() -> replay(db, s.chunks(), ReplaySettings.defaults()))
                .isInstanceOf(ReplayStreamException.class)
                .hasMessageContaining("public.c has 2 enabled triggers")
                .hasMessageContaining("after replay");
    }

    @Test
    void aTransactionLargerThanTheMemoryBudgetStreamsThroughInOneCommit() throws Exception {
        String db = pg.createDatabase("edge");
        pg.execute(db, "CREATE TABLE big (id int PRIMARY KEY, v int, pad text)");
        PgOutputStream s = new PgOutputStream(64 * 1024).relation(1, "public", "big", 'd', "id*", "v", "pad");
        s.begin(0x100, 1, AT);
        String pad = "p".repeat(100);
        for (int i = 0; i < 20_000; i++) {
            s.insert(1, Integer.toString(i), "0", pad);
        }
        for (int i = 0; i < 20_000; i += 2) {
            s.update(1, Integer.toString(i), "1", pad);
        }
        for (int i = 0; i < 20_000; i += 10) {
            s.deleteKey(1, Integer.toString(i), null, null);
        }
        s.commit();
        assertThat(s.chunks().size()).as("one transaction, many chunks").isGreaterThan(50);
        ReplayResult r = replay(db, s.chunks(), new ReplaySettings(1000, 1_000_000, 256 * 1024));
        assertThat(r.commits()).isEqualTo(1);
        assertThat(r.statements())
                .as("flushed many times within the transaction")
                .isGreaterThan(20);
        assertThat(rows(db, "SELECT count(*) || ' ' || sum(v) FROM big")).containsExactly("18000 8000");
    }
}
