package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RelationDef;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import io.recall.schemas.change.UnchangedToast;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real stream worker against a real PostgreSQL and a real Kafka broker: registration arrives on
 * {@code recall.sources}, the worker creates the publication and slot, takes the base backup, and streams.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaptureIT {

    final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    CaptureHarness h;
    Path storage;

    @BeforeAll
    void start() {
        h = new CaptureHarness();
        storage = h.storage;
        h.startWorker("it-worker");
    }

    @AfterAll
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void capturesChangesInCommitOrderWithBaseBackupToastMarkersAndBoundedChunks() throws Exception {
        CaptureHarness.Source s = h.createSource(
                pg,
                "CREATE TABLE items (id bigint PRIMARY KEY, qty int, price numeric(12,2), note text, data jsonb,"
                        + " tags text[], at timestamptz, raw bytea)",
                "CREATE TABLE docs (id int PRIMARY KEY, body text, v int)",
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
                "CREATE TABLE metrics (at date NOT NULL, v int) PARTITION BY RANGE (at)",
                "CREATE TABLE metrics_a PARTITION OF metrics FOR VALUES FROM ('2026-01-01') TO ('2026-07-01')",
                "CREATE TABLE metrics_b PARTITION OF metrics FOR VALUES FROM ('2026-07-01') TO ('2027-01-01')",
                "ALTER TABLE metrics_a REPLICA IDENTITY FULL",
                "ALTER TABLE metrics_b REPLICA IDENTITY FULL",
                "CREATE TABLE uncaptured (id int PRIMARY KEY, secret text)",
                "INSERT INTO items VALUES (1, 1, 1.50, 'before backup', '{\"a\":1}', '{x,y}', now(), '\\x00ff')",
                "INSERT INTO uncaptured VALUES (1, 'not in the backup data')");
        h.publish(s, List.of("public.items", "public.docs", "public.metrics"), 1, false);
        h.awaitState(s, io.recall.schemas.catalog.CaptureState.STREAMING);

        // the base backup: manifest with a consistent point, a dump in storage whose checksum matches
        Path base = storage.resolve("sources/" + s.id() + "/base");
        BaseBackupManifest manifest;
        try (Stream<Path> files = Files.walk(base)) {
            Path m = files.filter(p -> p.getFileName().toString().equals("manifest.json"))
                    .findFirst()
                    .orElseThrow();
            manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                    .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
                    .readValue(m.toFile(), BaseBackupManifest.class);
            byte[] dump = Files.readAllBytes(m.resolveSibling("dump.pgdump"));
            assertThat(manifest.files().getFirst().size()).isEqualTo(dump.length);
            assertThat(manifest.files().getFirst().sha256())
                    .isEqualTo(java.util.HexFormat.of()
                            .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                    .digest(dump)));
            // recall.capture.dump-compression's default: gzip level 1 (pg_restore names the method from 16 on)
            Process list = new ProcessBuilder(
                            new io.recall.common.pg.ClientTools(null)
                                    .find("pg_restore")
                                    .orElseThrow()
                                    .path()
                                    .toString(),
                            "--list",
                            m.resolveSibling("dump.pgdump").toString())
                    .redirectErrorStream(true)
                    .start();
            String toc = new String(list.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(list.waitFor()).as(toc).isZero();
            assertThat(toc).containsPattern("(?m)^;\\s+Compression: (1|gzip)$");
        }
        Lsn consistent = Lsn.parse(manifest.consistentLsn());
        assertThat(h.reports.stream()
                        .anyMatch(r -> r.getBody() instanceof BaseBackupCompleted b
                                && b.getConsistentLsn() == consistent.value()))
                .isTrue();

        String big = bigText(300_000);
        s.sql(
                "INSERT INTO items VALUES (2, 5, 9.99, 'two', '{\"b\":[1,2]}', '{a}', '2026-11-25T10:00:00Z', NULL)",
                "INSERT INTO docs VALUES (1, '" + big + "', 0)",
                "UPDATE items SET qty = qty + 1, note = NULL WHERE id = 2",
                "UPDATE docs SET v = v + 1 WHERE id = 1",
                "UPDATE items SET id = 20 WHERE id = 2",
                "DELETE FROM items WHERE id = 1",
                "INSERT INTO metrics VALUES ('2026-02-01', 1), ('2026-08-01', 2)",
                "TRUNCATE metrics_a",
                "BEGIN; INSERT INTO items SELECT g, g, g, repeat('x', 500), NULL, NULL, NULL, NULL"
                        + " FROM generate_series(100, 1100) g; COMMIT;",
                "INSERT INTO uncaptured VALUES (2, 'never streamed')");
        Lsn after = s.currentWal();

        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    h.drain();
                    assertThat(h.chunks(s).stream()
                                    .filter(TransactionChunk::getLastChunk)
                                    .count())
                            .isGreaterThanOrEqualTo(9); // the uncaptured insert publishes nothing
                });
        List<TransactionChunk> chunks = h.chunks(s);

        // commit order, and nothing from before the consistent point
        List<TransactionChunk> lasts =
                chunks.stream().filter(TransactionChunk::getLastChunk).toList();
        for (int i = 1; i < lasts.size(); i++) {
            assertThat(lasts.get(i).getCommitLsn())
                    .isGreaterThan(lasts.get(i - 1).getCommitLsn());
        }
        assertThat(chunks).allSatisfy(c -> assertThat(c.getCommitLsn()).isGreaterThanOrEqualTo(consistent.value()));

        List<RowChange> all = new ArrayList<>();
        Map<Integer, RelationDef> relations = new java.util.HashMap<>();
        for (TransactionChunk c : chunks) {
            c.getRelations().forEach(r -> relations.put(r.getRelationId(), r));
            all.addAll(c.getChanges());
        }
        assertThat(relations.values()).extracting(RelationDef::getTable).doesNotContain("uncaptured");

        RowChange insert2 = all.get(0);
        assertThat(insert2.getOp()).isEqualTo(Op.INSERT);
        assertThat(relations.get(insert2.getRelationId()).getTable()).isEqualTo("items");
        assertThat(insert2.getNewValues())
                .containsExactly("2", "5", "9.99", "two", "{\"b\": [1, 2]}", "{a}", "2026-11-25 10:00:00+00", null);

        // the TOASTed body: inserted in parts, unchanged by the later update — marked, not NULL
        RowChange toastUpdate = all.stream()
                .filter(c -> c.getOp() == Op.UPDATE
                        && relations.get(c.getRelationId()).getTable().equals("docs"))
                .findFirst()
                .orElseThrow();
        assertThat(toastUpdate.getNewValues().get(1)).isInstanceOf(UnchangedToast.class);
        assertThat(toastUpdate.getNewValues().get(2)).isEqualTo("1");
        String reassembled = chunks.stream()
                .flatMap(c -> c.getLargeValueParts().stream())
                .filter(p -> p.getColumn() == 1)
                .map(io.recall.schemas.change.LargeValuePart::getText)
                .reduce("", String::concat);
        assertThat(reassembled).isEqualTo(big);

        // key change carries the old key; delete carries the key; truncate of one partition is published
        RowChange keyChange = all.stream()
                .filter(c -> c.getOp() == Op.UPDATE && c.getOldValues() != null)
                .findFirst()
                .orElseThrow();
        assertThat(keyChange.getOldIsKey()).isTrue();
        assertThat(keyChange.getOldValues().get(0)).isEqualTo("2");
        assertThat(keyChange.getNewValues().get(0)).isEqualTo("20");
        assertThat(all).anySatisfy(c -> {
            assertThat(c.getOp()).isEqualTo(Op.DELETE);
            assertThat(c.getOldValues().get(0)).isEqualTo("1");
        });
        RowChange truncate =
                all.stream().filter(c -> c.getOp() == Op.TRUNCATE).findFirst().orElseThrow();
        assertThat(truncate.getTruncatedRelations()).hasSize(1);
        assertThat(relations.get(truncate.getTruncatedRelations().getFirst()).getTable())
                .isEqualTo("metrics_a");

        // the 1001-row transaction came in several bounded chunks, in order, the last one flagged
        TransactionChunk bigLast = lasts.stream()
                .filter(c -> c.getChanges().stream()
                        .anyMatch(r -> r.getOp() == Op.INSERT
                                && r.getNewValues().get(0).equals("1100")))
                .findFirst()
                .orElseThrow();
        List<TransactionChunk> bigTx = chunks.stream()
                .filter(c -> c.getCommitLsn() == bigLast.getCommitLsn())
                .toList();
        assertThat(bigTx.size()).isGreaterThan(5);
        for (int i = 0; i < bigTx.size(); i++) {
            assertThat(bigTx.get(i).getChunkIndex()).isEqualTo(i);
            assertThat(bigTx.get(i).getLastChunk()).isEqualTo(i == bigTx.size() - 1);
        }
        assertThat(bigTx.stream().mapToInt(c -> c.getChanges().size()).sum()).isEqualTo(1001);

        // everything acknowledged is confirmed; the slot and the durable watermark pass an earlier WAL position
        // while only another database writes WAL (heartbeats carry the keepalive position)
        String other = pg.createDatabase("other");
        for (int i = 0; i < 5; i++) {
            pg.execute(other, "CREATE TABLE IF NOT EXISTS t (v int)", "INSERT INTO t VALUES (" + i + ")");
        }
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> {
                    pg.execute(other, "INSERT INTO t VALUES (1)");
                    h.drain();
                    assertThat(s.confirmedFlush()).isGreaterThan(after);
                    assertThat(h.received.stream()
                                    .filter(e -> e.getSourceId().equals(s.id().toString()))
                                    .anyMatch(e -> e.getBody() instanceof Heartbeat h && h.getWalEnd() > after.value()))
                            .isTrue();
                    assertThat(h.reports.stream()
                                    .filter(r -> r.getSourceId().equals(s.id().toString()))
                                    .anyMatch(r -> r.getBody() instanceof SourceStatusReport st
                                            && st.getDurableLsn() != null
                                            && st.getDurableLsn() > after.value()))
                            .isTrue();
                });
        // per-source meters
        var meters = h.workers.getFirst().getBean(io.micrometer.core.instrument.MeterRegistry.class);
        String id = s.id().toString();
        assertThat(meters.get("recall.capture.changes")
                        .tag("source", id)
                        .counter()
                        .count())
                .isGreaterThanOrEqualTo(1001);
        assertThat(meters.get("recall.capture.transactions")
                        .tag("source", id)
                        .counter()
                        .count())
                .isGreaterThanOrEqualTo(9);
        assertThat(meters.get("recall.capture.durable.age")
                        .tag("source", id)
                        .gauge()
                        .value())
                .isBetween(0.0, 30.0);
        assertThat(meters.get("recall.capture.slot.lag")
                        .tag("source", id)
                        .gauge()
                        .value())
                .isGreaterThanOrEqualTo(0);
        // and they are scraped from the worker's actuator endpoint
        String port = h.workers.getFirst().getEnvironment().getProperty("local.server.port");
        var scrape = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("recall_capture_changes_total").contains(id);
        // sequences are read too (none here beyond what tables own, but the record arrives)
        assertThat(h.received.stream().anyMatch(e -> e.getBody() instanceof SequenceValues))
                .isTrue();
    }

    private static String bigText(int length) {
        StringBuilder b = new StringBuilder(length);
        java.util.Random r = new java.util.Random(42);
        while (b.length() < length) {
            b.append(Long.toString(r.nextLong(), 36));
        }
        return b.substring(0, length);
    }
}
