package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import io.recall.common.storage.BlobStore;
import io.recall.common.storage.BlobStores;
import io.recall.common.storage.StorageSettings;
import io.recall.restore.base.BaseRestorer;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.DdlCaptureMode;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.source.TablePatternSpec;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Schema changes captured by Recall's event triggers (issue 6), restored on both sides of each: a workload that
 * interleaves data changes with ADD COLUMN (constant and volatile defaults), DROP COLUMN, ALTER COLUMN TYPE ... USING,
 * CREATE TABLE with rows in the same transaction, RENAME TABLE, DROP TABLE, CREATE INDEX, a new partition, a new
 * schema with a serial table, and a column rename inside a transaction that also writes rows. After every step the
 * source's schema ({@code pg_dump --schema-only}, normalised) and data (per table, rows in "C" order, hashed) are
 * recorded; each checkpoint is restored through base restore + replay and must equal the source at that point.
 * Subclasses pick the server version: 15 (logical messages) and 13 (the log-table transport).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class DdlReplayTest {

    private static final Logger log = LoggerFactory.getLogger(DdlReplayTest.class);

    private final PgVersion version;
    private PostgresCluster pg;
    private CaptureHarness harness;
    private CaptureHarness.Source source;
    private BlobStore store;
    private BaseRestorer restorer;
    private final List<Checkpoint> checkpoints = new ArrayList<>();

    /** The source right after one step committed. */
    private record Checkpoint(String name, Lsn wal, String schema, Map<String, String> data) {}

    DdlReplayTest(PgVersion version) {
        this.version = version;
    }

    private static final String[] SETUP = {
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int NOT NULL)",
        "CREATE TABLE old_stuff (id int PRIMARY KEY, v text)",
        "CREATE TABLE doomed (id int PRIMARY KEY, v text)",
        "CREATE TABLE measures (id int, k int, v numeric, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)",
        "CREATE TABLE measures_0 PARTITION OF measures FOR VALUES FROM (0) TO (100)",
        "INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 50) g",
        "INSERT INTO old_stuff SELECT g, 'old ' || g FROM generate_series(1, 10) g",
        "INSERT INTO doomed SELECT g, 'doomed ' || g FROM generate_series(1, 10) g",
        "INSERT INTO measures SELECT g, g % 100, g * 1.5 FROM generate_series(1, 30) g",
    };

    /** Each step is one or more transactions (statements separated as listed run in one transaction each). */
    private static final List<Step> STEPS = List.of(
            new Step("plain-dml", "UPDATE items SET qty = qty + 1 WHERE id % 2 = 0", "DELETE FROM items WHERE id = 7"),
            new Step(
                    "add-column-default",
                    "ALTER TABLE items ADD COLUMN price numeric(10,2) DEFAULT 9.99",
                    "UPDATE items SET price = price + id WHERE id % 3 = 0"),
            new Step(
                    "drop-column",
                    "ALTER TABLE items DROP COLUMN name",
                    "INSERT INTO items (id, qty, price) VALUES (1001, 5, 1.25)"),
            new Step(
                    "alter-type-using",
                    "ALTER TABLE items ALTER COLUMN qty TYPE bigint USING qty * 1000 + 7",
                    "UPDATE items SET qty = qty + 1 WHERE id < 5"),
            new Step(
                    "create-table-with-rows",
                    "BEGIN; CREATE TABLE fresh (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text NOT"
                            + " NULL, created timestamptz DEFAULT now()); INSERT INTO fresh (note) SELECT 'n' || g FROM"
                            + " generate_series(1, 20) g; COMMIT",
                    "UPDATE fresh SET note = note || '!' WHERE id % 4 = 0"),
            new Step(
                    "rename-table",
                    "ALTER TABLE old_stuff RENAME TO new_stuff",
                    "INSERT INTO new_stuff VALUES (11, 'renamed')",
                    "UPDATE new_stuff SET v = upper(v) WHERE id < 3"),
            new Step("drop-table", "DROP TABLE doomed", "INSERT INTO items (id, qty) VALUES (1002, 1)"),
            new Step("create-index", "CREATE INDEX items_qty_idx ON items (qty)", "DELETE FROM items WHERE id = 9"),
            new Step(
                    "new-partition",
                    "CREATE TABLE measures_1 PARTITION OF measures FOR VALUES FROM (100) TO (200)",
                    "INSERT INTO measures SELECT g, 100 + g, g / 3.0 FROM generate_series(1, 15) g"),
            new Step(
                    "new-schema-serial",
                    "BEGIN; CREATE SCHEMA extra; CREATE TABLE extra.t (id serial PRIMARY KEY, v text); COMMIT",
                    "INSERT INTO extra.t (v) SELECT 'e' || g FROM generate_series(1, 5) g"),
            new Step(
                    "volatile-default-rewrite",
                    "ALTER TABLE items ADD COLUMN stamp timestamptz DEFAULT clock_timestamp()",
                    "UPDATE items SET qty = 0 WHERE id = 1"),
            new Step(
                    "rename-column-mid-transaction",
                    "BEGIN; INSERT INTO items (id, qty) VALUES (1003, 3); ALTER TABLE items RENAME COLUMN qty TO"
                            + " quantity; UPDATE items SET quantity = quantity * 2 WHERE id > 1000; COMMIT"),
            new Step(
                    "key-less-table-joins-later",
                    "BEGIN; CREATE TABLE loose (a int, b text); INSERT INTO loose VALUES (1, 'x'), (2, 'y'); COMMIT",
                    "INSERT INTO loose VALUES (3, 'z')",
                    "ALTER TABLE loose ADD PRIMARY KEY (a)",
                    "UPDATE loose SET b = b || b"));

    private record Step(String name, String... transactions) {}

    @BeforeAll
    void captureAWorkloadWithSchemaChanges() throws Exception {
        pg = PostgresCluster.shared(version);
        harness = new CaptureHarness();
        harness.startWorker("ddl-it");
        source = harness.createSource(pg, SETUP);
        pg.execute(source.db(), "ALTER ROLE " + source.user() + " SUPERUSER");
        store = BlobStores.open(StorageSettings.local(harness.storage));
        restorer = new BaseRestorer(store, new ClientTools(null), Files.createTempDirectory("recall-ddl-work"), 2);
        harness.publish(
                source,
                List.of("public.items", "public.old_stuff", "public.doomed", "public.measures"),
                List.of(new TablePatternSpec("public", null, false), new TablePatternSpec("extra", null, false)),
                1,
                null);
        harness.awaitState(source, CaptureState.STREAMING);
        awaitBackups(1);
        checkpoints.add(checkpoint("start"));
        for (Step step : STEPS) {
            try (Connection c = connectAsSource();
                    Statement st = c.createStatement()) {
                for (String tx : step.transactions()) {
                    st.execute(tx);
                }
            }
            checkpoints.add(checkpoint(step.name()));
        }
        harness.awaitDurable(source, source.currentWal());
    }

    @AfterAll
    void stop() {
        if (harness != null) {
            harness.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    @Order(1)
    void theSourceStatusSaysSchemaChangesAreCapturedByEventTriggers() {
        DdlCaptureMode mode = harness.catalogBodies(source).stream()
                .filter(b -> b instanceof SourceStatusReport r && r.getDdlCapture() != null)
                .map(b -> ((SourceStatusReport) b).getDdlCapture())
                .reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no status carried the DDL capture mode"));
        assertThat(mode.getMode()).isEqualTo("EVENT_TRIGGER");
        assertThat(mode.getTransport()).isEqualTo(pg.majorVersion() >= 14 ? "MESSAGE" : "TABLE");
    }

    @Test
    @Order(2)
    void everyCheckpointRestoresToTheSourceSchemaAndData() throws Exception {
        List<TransactionChunk> stream = harness.chunks(source);
        List<BaseBackupManifest> backups = BaseBackupManifest.listCompleted(store, source.id());
        BaseBackupManifest backup = backups.get(0);
        Heartbeat hb = harness.awaitDurable(source, checkpoints.getLast().wal());
        RecoveryWindow window = new RecoveryWindow(
                backup.consistentPoint(),
                backup.snapshotTime(),
                new Lsn(hb.getWalEnd()),
                hb.getServerTime(),
                List.of());
        List<String> differences = new ArrayList<>();
        for (Checkpoint cp : checkpoints) {
            Cutoff cutoff = CutoffResolver.resolve(
                    new RestoreTarget.AtRestorePoint(cp.name(), cp.wal()),
                    window,
                    TransactionReader.headers(stream.iterator()));
            String db = pg.createDatabase("ddlrestored");
            try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(db), false);
                    Connection c = pg.connect(db)) {
                new ReplayEngine(c, ReplaySettings.defaults())
                        .replay(stream.iterator(), base.consistentPoint(), cutoff);
                base.completeAfterReplay();
                ReplayEngine.completeSchemaChanges(c);
                ReplayEngine.dropProgress(c);
                c.setAutoCommit(true);
                String schema = schema(db);
                Map<String, String> data = data(c);
                if (!schema.equals(cp.schema())) {
                    differences.add(cp.name() + ": schema differs:\n" + diff(cp.schema(), schema));
                }
                if (!data.equals(cp.data())) {
                    differences.add(cp.name() + ": data differs: source " + cp.data() + "\n restored " + data);
                }
            }
            log.info("checkpoint {} restored and compared", cp.name());
        }
        assertThat(differences).as("restores that differ from the source").isEmpty();
    }

    @Test
    @Order(3)
    void everyCommandIsReportedForTheSchemaHistoryInCommitOrder() {
        List<SchemaChanged> changes = harness.catalogBodies(source).stream()
                .filter(b -> b instanceof SchemaChanged)
                .map(b -> (SchemaChanged) b)
                .toList();
        List<String> tags = changes.stream().map(SchemaChanged::getCommandTag).toList();
        assertThat(tags).contains("ALTER TABLE", "DROP TABLE", "CREATE INDEX", "CREATE TABLE", "CREATE SCHEMA");
        assertThat(changes)
                .as("the sequence a serial column creates is an object of its CREATE TABLE")
                .anySatisfy(c -> assertThat(c.getObjects())
                        .anySatisfy(o -> assertThat(o.getIdentity()).isEqualTo("extra.t_id_seq")));
        assertThat(changes)
                .anySatisfy(c -> assertThat(c.getObjects()).anySatisfy(o -> {
                    assertThat(o.getIdentity()).isEqualTo("public.new_stuff");
                    assertThat(o.getReplayed()).isTrue();
                }));
        assertThat(changes)
                .anySatisfy(c -> assertThat(c.getObjects()).anySatisfy(o -> {
                    assertThat(o.getIdentity()).isEqualTo("public.doomed");
                    assertThat(o.getAction()).isEqualTo("DROP");
                }));
        List<Long> lsns = changes.stream().map(SchemaChanged::getCommitLsn).toList();
        assertThat(lsns).isSortedAccordingTo(Long::compareUnsigned);
    }

    @Test
    @Order(4)
    void aFailureInsideTheTriggerNeverFailsTheUsersDdlButMarksAGapAndTakesABaseBackup() throws Exception {
        int backupsBefore = BaseBackupManifest.listCompleted(store, source.id()).size();
        pg.execute(source.db(), "DROP TABLE _recall.ddl_state");
        Lsn before = source.currentWal();
        try (Connection c = connectAsSource();
                Statement st = c.createStatement()) {
            st.execute("ALTER TABLE items ADD COLUMN after_failure int DEFAULT 1");
            st.execute("INSERT INTO items (id, quantity) VALUES (2001, 1)");
        }
        await().atMost(90, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> {
                    harness.drain();
                    assertThat(harness.catalogBodies(source).stream()
                                    .filter(b -> b instanceof GapDetected g
                                            && g.getReason().contains("DDL trigger failed"))
                                    .map(b -> (GapDetected) b)
                                    .toList())
                            .singleElement()
                            .satisfies(g -> assertThat(Long.compareUnsigned(g.getFromLsn(), before.value()))
                                    .isGreaterThan(0));
                    assertThat(BaseBackupManifest.listCompleted(store, source.id()))
                            .hasSizeGreaterThan(backupsBefore);
                });
        try (Connection c = pg.connect(source.db());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM items WHERE after_failure = 1")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the user's DDL took effect").isPositive();
        }
    }

    // ---- helpers

    private Connection connectAsSource() throws SQLException {
        Connection c = pg.connect(source.db());
        try (Statement st = c.createStatement()) {
            st.execute("SET ROLE " + source.user());
        }
        return c;
    }

    private Checkpoint checkpoint(String name) throws Exception {
        try (Connection c = pg.connect(source.db());
                Statement st = c.createStatement()) {
            Map<String, String> data = data(c);
            String schema = schema(source.db());
            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                return new Checkpoint(name, Lsn.parse(rs.getString(1)), schema, data);
            }
        }
    }

    /** Every user table's rows, ordered under "C" so the target's locale cannot change the order, hashed. */
    private static Map<String, String> data(Connection c) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                        + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema', '_recall') ORDER BY 1")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        Map<String, String> out = new TreeMap<>();
        for (String t : tables) {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(x.t::text, E'\\n'"
                            + " ORDER BY x.t::text COLLATE \"C\")), '') FROM " + t + " x(t)")) {
                rs.next();
                out.put(t, rs.getString(1));
            }
        }
        return out;
    }

    /** {@code pg_dump --schema-only} without what legitimately differs: owners, Recall's own objects, comments. */
    private String schema(String db) throws IOException, InterruptedException {
        String bin = new ClientTools(null).find("pg_dump").orElseThrow().path().toString();
        ProcessBuilder pb = new ProcessBuilder(
                bin,
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--no-publications",
                "--no-subscriptions",
                "--exclude-schema=_recall",
                "--dbname=" + pg.connectionUri(pg.superuser(), pg.superuserPassword(), db) + "?sslmode=disable");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out;
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            out = buf.toString(StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor()).as("pg_dump: %s", out).isZero();
        return out.lines()
                .filter(l -> !l.isBlank() && !l.startsWith("--") && !l.startsWith("SET ") && !l.startsWith("SELECT "))
                // pg_dump 15.14+ fences its output with \\restrict/\\unrestrict and a random key
                .filter(l -> !l.startsWith("\\restrict") && !l.startsWith("\\unrestrict"))
                // Recall's own event triggers are on the source only; restores leave them out on purpose
                .filter(l -> !l.contains("EVENT TRIGGER recall_ddl_") && !l.contains("FUNCTION _recall."))
                .collect(Collectors.joining("\n"));
    }

    private static String diff(String expected, String actual) {
        List<String> a = expected.lines().toList();
        List<String> b = actual.lines().toList();
        StringBuilder out = new StringBuilder();
        for (String l : a) {
            if (!b.contains(l)) {
                out.append("  - ").append(l).append('\n');
            }
        }
        for (String l : b) {
            if (!a.contains(l)) {
                out.append("  + ").append(l).append('\n');
            }
        }
        return out.length() == 0 ? "  (same lines, different order)\n" : out.toString();
    }

    private ConnectionString target(String db) {
        return ConnectionString.parse(
                pg.connectionUri(pg.superuser(), pg.superuserPassword(), db) + "?sslmode=disable");
    }

    private void awaitBackups(int n) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(300))
                .until(() ->
                        BaseBackupManifest.listCompleted(store, source.id()).size() >= n);
    }
}
