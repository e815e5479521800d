package io.recall.restore.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.recall.schemas.catalog.ApproximateRange;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.DdlCaptureMode;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.source.TablePatternSpec;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Schema changes where Recall cannot install event triggers (a role that is not a superuser, as on managed services):
 * the fallback capture (FallbackSchema). Changes the README lists as exact in this mode are restored exactly on both
 * sides (schema and data compared with the source); the ones it cannot rebuild exactly (a type change, a table seen
 * by polling the catalog, a dropped table) mark an approximate range, a new base backup follows by itself, and
 * restores after that backup are exact again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FallbackDdlIT {

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    private CaptureHarness harness;
    private DdlFixture fixture;
    private final List<DdlFixture.Checkpoint> exact = new ArrayList<>();

    @BeforeAll
    void captureSchemaChangesWithoutEventTriggers() throws Exception {
        harness = new CaptureHarness();
        harness.startWorker("fallback-it", "--recall.capture.catalog-poll-interval=1s");
        CaptureHarness.Source source = harness.createSource(
                pg,
                "CREATE TABLE items (id int PRIMARY KEY, name text, qty int NOT NULL)",
                "CREATE TABLE old_stuff (id int PRIMARY KEY, v text)",
                "CREATE TYPE mood AS ENUM ('calm')",
                "CREATE TABLE moods (id int PRIMARY KEY, m mood)",
                "INSERT INTO moods VALUES (1, 'calm')",
                "INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 40) g",
                "INSERT INTO old_stuff SELECT g, 'old ' || g FROM generate_series(1, 10) g");
        fixture = new DdlFixture(pg, harness, source);
        harness.publish(
                source,
                List.of("public.items", "public.old_stuff", "public.moods"),
                List.of(new TablePatternSpec("*", null, false)), // registered without patterns: every user table
                1,
                null);
        harness.awaitState(source, CaptureState.STREAMING);
        fixture.awaitBackups(1);
        exact.add(fixture.checkpoint("start"));

        // exact in fallback mode: each change is derived from the Relation message of the next write to its table
        step("plain-dml", "UPDATE items SET qty = qty + 1 WHERE id % 2 = 0");
        step(
                "add-column-constant-default",
                "ALTER TABLE items ADD COLUMN price numeric(10,2) DEFAULT 9.99",
                "UPDATE items SET price = price + id WHERE id % 3 = 0");
        step("drop-column", "ALTER TABLE items DROP COLUMN name", "INSERT INTO items (id, qty) VALUES (1001, 5)");
        step(
                "rename-table",
                "ALTER TABLE old_stuff RENAME TO new_stuff",
                "INSERT INTO new_stuff VALUES (11, 'renamed')");
        step(
                "rename-column",
                "ALTER TABLE items RENAME COLUMN qty TO quantity",
                "UPDATE items SET quantity = quantity + 1 WHERE id < 4");
        step(
                "stable-default-evaluated-once",
                "ALTER TABLE items ADD COLUMN seen timestamptz DEFAULT now()",
                "UPDATE items SET quantity = 0 WHERE id = 5");

        // not exact: an approximate range, then a new base backup by itself
        int backups = fixture.backups().size();
        fixture.run(
                "ALTER TABLE items ALTER COLUMN quantity TYPE bigint USING quantity * 1000",
                "UPDATE items SET quantity = quantity + 1 WHERE id = 2");
        fixture.awaitBackups(backups + 1);
        step("after-the-type-change-backup", "UPDATE items SET quantity = quantity + 5 WHERE id = 3");

        backups = fixture.backups().size();
        fixture.run(
                "CREATE TABLE fresh (id int PRIMARY KEY, note text)",
                "INSERT INTO fresh SELECT g, 'n' || g FROM generate_series(1, 5) g");
        fixture.awaitBackups(backups + 1);
        step("after-the-new-table-backup", "INSERT INTO fresh VALUES (6, 'after')", "DELETE FROM fresh WHERE id = 1");

        backups = fixture.backups().size();
        fixture.run("DROP TABLE new_stuff");
        fixture.awaitBackups(backups + 1);
        step("after-the-drop-backup", "UPDATE fresh SET note = 'last' WHERE id = 2");

        backups = fixture.backups().size();
        fixture.run("ALTER TYPE mood ADD VALUE 'busy'");
        fixture.awaitBackups(backups + 1);
        step("after-the-enum-backup", "INSERT INTO moods VALUES (2, 'busy')");
        harness.awaitDurable(source, source.currentWal());
    }

    /**
     * One step, and a checkpoint after it. Capture reads the catalog when it meets a changed table's Relation
     * message; the step waits until capture has streamed it, so that the next change cannot already be in the
     * catalog then (if it were, capture would say the change is approximate, as it must).
     */
    private void step(String name, String... transactions) throws Exception {
        fixture.run(transactions);
        exact.add(fixture.checkpoint(name));
        harness.awaitDurable(fixture.source, fixture.source.currentWal());
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void theSourceStatusSaysTheFallbackCaptureRuns() {
        DdlCaptureMode mode = harness.catalogBodies(fixture.source).stream()
                .filter(b -> b instanceof SourceStatusReport r && r.getDdlCapture() != null)
                .map(b -> ((SourceStatusReport) b).getDdlCapture())
                .reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no status carried the DDL capture mode"));
        assertThat(mode.getMode()).isEqualTo("FALLBACK");
        assertThat(mode.getDetail()).contains("not a superuser");
    }

    @Test
    void restoresAreExactWhereTheReadmeSaysSoAndAfterEachAutomaticBackup() throws Exception {
        assertThat(fixture.backups()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(fixture.restoreAndCompare(exact))
                .as("restores that differ from the source")
                .isEmpty();
    }

    @Test
    void changesThatCannotBeRebuiltExactlyAreReportedAsApproximateRanges() {
        List<Object> catalog = harness.catalogBodies(fixture.source);
        List<ApproximateRange> ranges = catalog.stream()
                .filter(ApproximateRange.class::isInstance)
                .map(ApproximateRange.class::cast)
                .toList();
        assertThat(ranges).anySatisfy(r -> assertThat(r.getReason()).contains("changed type"));
        assertThat(ranges)
                .anySatisfy(r -> assertThat(r.getReason()).contains("fresh").contains("created"));
        assertThat(ranges)
                .anySatisfy(r -> assertThat(r.getReason()).contains("new_stuff").contains("dropped"));
        assertThat(ranges).anySatisfy(r -> assertThat(r.getReason()).contains("type public.mood changed"));
        List<SchemaChanged> history = catalog.stream()
                .filter(SchemaChanged.class::isInstance)
                .map(SchemaChanged.class::cast)
                .toList();
        assertThat(history)
                .filteredOn(c -> !c.getApproximate())
                .as("exact derived changes")
                .hasSizeGreaterThanOrEqualTo(5);
        assertThat(history)
                .filteredOn(SchemaChanged::getApproximate)
                .as("approximate ones")
                .hasSizeGreaterThanOrEqualTo(4);
    }
}
