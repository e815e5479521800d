package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.DdlCaptureMode;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.source.TablePatternSpec;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * CREATE TABLE with rows in the same transaction, a foreign key, a stable default evaluated once, RENAME TABLE, DROP TABLE, CREATE INDEX, a new partition, a new
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
    private DdlFixture fixture;
    private final List<DdlFixture.Checkpoint> checkpoints = new ArrayList<>();

    DdlReplayTest(PgVersion version) {
        this.version = version;
    }

    private static final String[] SETUP = {
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int NOT NULL)",
        "CREATE TABLE old_stuff (id int PRIMARY KEY, v text)",
        "CREATE TABLE doomed (id int PRIMARY KEY, v text)",
        "CREATE TABLE measures (id int, k int, v numeric, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)",
        "CREATE TABLE measures_0 PARTITION OF measures FOR VALUES FROM (0) TO (100)",
        "CREATE TABLE parents (id int PRIMARY KEY)",
        "CREATE SCHEMA scratch",
        "CREATE TABLE scratch.tmp (id int PRIMARY KEY, v text)",
        "INSERT INTO scratch.tmp VALUES (1, 'a'), (2, 'b')",
        "CREATE TABLE kids (id int PRIMARY KEY, parent int REFERENCES parents (id), other int REFERENCES items (id))",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER kids_touch BEFORE UPDATE ON kids FOR EACH ROW EXECUTE FUNCTION touch()",
        "INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 50) g",
        "INSERT INTO parents SELECT g FROM generate_series(1, 5) g",
        "INSERT INTO kids SELECT g, g % 5 + 1, g + 20 FROM generate_series(1, 10) g",
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
                    "foreign-key-and-stable-default",
                    "ALTER TABLE fresh ADD COLUMN item int REFERENCES items (id)",
                    "UPDATE fresh SET item = 2 WHERE id = 3",
                    "ALTER TABLE items ADD COLUMN seen timestamptz DEFAULT now()",
                    "UPDATE items SET qty = qty + 2 WHERE id = 4"),
            new Step(
                    "rename-table",
                    "ALTER TABLE old_stuff RENAME TO new_stuff",
                    "INSERT INTO new_stuff VALUES (11, 'renamed')",
                    "UPDATE new_stuff SET v = upper(v) WHERE id < 3"),
            new Step("drop-table", "DROP TABLE doomed", "INSERT INTO items (id, qty) VALUES (1002, 1)"),
            new Step(
                    "rename-table-with-foreign-keys-and-a-trigger",
                    "ALTER TABLE kids RENAME TO children",
                    "UPDATE children SET other = 33 WHERE id = 1"),
            new Step(
                    "drop-referenced-table-cascade",
                    "DROP TABLE parents CASCADE",
                    "INSERT INTO children VALUES (11, 999, 32)"),
            new Step(
                    "drop-schema-cascade",
                    "UPDATE scratch.tmp SET v = 'c' WHERE id = 1",
                    "DROP SCHEMA scratch CASCADE",
                    "INSERT INTO items (id, qty) VALUES (1004, 4)"),
            new Step(
                    "drop-column-with-foreign-key",
                    "ALTER TABLE children DROP COLUMN other",
                    "INSERT INTO children VALUES (12, 998)"),
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
                    "rewrite-of-a-table-with-large-rows",
                    "BEGIN; CREATE TABLE blobs (id int PRIMARY KEY, body text); INSERT INTO blobs VALUES (1, repeat('x',"
                            + " 300000)), (2, repeat(md5('y'), 9000)), (3, NULL); COMMIT",
                    "ALTER TABLE blobs ALTER COLUMN id TYPE bigint",
                    "UPDATE blobs SET body = 'small' WHERE id = 3"),
            new Step(
                    "rename-column-mid-transaction",
                    "BEGIN; INSERT INTO items (id, qty) VALUES (1003, 3); ALTER TABLE items RENAME COLUMN qty TO"
                            + " quantity; UPDATE items SET quantity = quantity * 2 WHERE id > 1000; COMMIT"),
            new Step(
                    "enum-domain-and-composite-types",
                    "BEGIN; CREATE TYPE status AS ENUM ('new', 'done'); CREATE DOMAIN positive AS int CHECK (VALUE > 0);"
                            + " CREATE TYPE pair AS (a int, b text); CREATE TABLE typed (id int PRIMARY KEY, s status,"
                            + " p positive, q pair); INSERT INTO typed VALUES (1, 'new', 5, ROW(1, 'x')),"
                            + " (2, 'done', 7, NULL); COMMIT",
                    "ALTER TYPE status ADD VALUE 'archived' AFTER 'new'",
                    "UPDATE typed SET s = 'archived' WHERE id = 1",
                    "ALTER DOMAIN positive ADD CONSTRAINT small CHECK (VALUE < 1000)",
                    "ALTER TYPE pair ADD ATTRIBUTE c date",
                    "UPDATE typed SET q = ROW(2, 'y', '2026-01-01') WHERE id = 2"),
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
        fixture = new DdlFixture(pg, harness, source);
        harness.publish(
                source,
                List.of(
                        "public.items",
                        "public.old_stuff",
                        "public.doomed",
                        "public.measures",
                        "public.parents",
                        "public.kids",
                        "scratch.tmp"),
                List.of(new TablePatternSpec("public", null, false), new TablePatternSpec("extra", null, false)),
                1,
                null);
        harness.awaitState(source, CaptureState.STREAMING);
        fixture.awaitBackups(1);
        checkpoints.add(fixture.checkpoint("start"));
        for (Step step : STEPS) {
            fixture.run(step.transactions());
            checkpoints.add(fixture.checkpoint(step.name()));
        }
        harness.awaitDurable(source, source.currentWal());
    }

    @AfterAll
    void stop() {
        if (harness != null) {
            harness.close();
        }
        if (fixture != null) {
            fixture.close();
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
        assertThat(fixture.restoreAndCompare(checkpoints))
                .as("restores that differ from the source")
                .isEmpty();
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
        int backupsBefore = fixture.backups().size();
        pg.execute(source.db(), "DROP TABLE _recall.ddl_state");
        Lsn before = source.currentWal();
        fixture.run(
                "ALTER TABLE items ADD COLUMN after_failure int DEFAULT 1",
                "INSERT INTO items (id, quantity) VALUES (2001, 1)");
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
                    assertThat(fixture.backups()).hasSizeGreaterThan(backupsBefore);
                });
        try (Connection c = pg.connect(source.db());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM items WHERE after_failure = 1")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the user's DDL took effect").isPositive();
        }
    }
}
