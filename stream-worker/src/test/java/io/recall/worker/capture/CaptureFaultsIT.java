package io.recall.worker.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.pg.ClientTools;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RowChange;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Capture under faults and lifecycle changes, each with a broker and worker of its own. */
class CaptureFaultsIT {

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);

    private static List<RowChange> changes(CaptureHarness h, CaptureHarness.Source s) {
        return h.chunks(s).stream().flatMap(c -> c.getChanges().stream()).toList();
    }

    private static void awaitInsertOf(CaptureHarness h, CaptureHarness.Source s, String firstColumn) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    h.drain();
                    assertThat(changes(h, s)).anySatisfy(c -> {
                        assertThat(c.getOp()).isEqualTo(Op.INSERT);
                        assertThat(c.getNewValues().getFirst()).isEqualTo(firstColumn);
                    });
                });
    }

    /**
     * TRUNCATE is not MVCC-safe: one that commits after a slot's consistent point but before pg_dump locks the table
     * would leave the dump without rows its snapshot holds. The capture locks the captured tables before the slot
     * exists, so such a TRUNCATE waits for the dump (or, when it stalls pg_dump's own lock, the backup is retried
     * after it): either way the backup's rows are those of its consistent point. The pg_dump here starts 4 s late, so
     * without the lock the TRUNCATE below would commit first.
     */
    @Test
    void aTruncateRacingTheFirstBackupNeverEmptiesTheDumpBehindItsConsistentPoint() throws Exception {
        Path tools = Files.createTempDirectory("recall-slow-pg-dump");
        Path real = new ClientTools(null).find("pg_dump").orElseThrow().path();
        Path wrapper = tools.resolve("pg_dump");
        Files.writeString(
                wrapper, "#!/bin/sh\ncase \"$*\" in *--snapshot=*) sleep 4;; esac\nexec '" + real + "' \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (CaptureHarness h = new CaptureHarness()) {
            h.startWorker("truncate-race", "--recall.tools.bin-dir=" + tools, "--recall.capture.dump-lock-timeout=3s");
            CaptureHarness.Source s = h.createSource(
                    pg, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t SELECT generate_series(1, 100)");
            h.publish(s, List.of("public.t"), 1, false);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> slotExists(s));
            Thread truncate = Thread.ofVirtual().start(() -> s.sql("TRUNCATE t"));
            h.awaitState(s, CaptureState.STREAMING);
            truncate.join(Duration.ofSeconds(60));
            s.sql("INSERT INTO t VALUES (1000)");
            awaitInsertOf(h, s, "1000");
            // the TRUNCATE is in the stream when it committed after the consistent point of the backup that
            // succeeded, and not when that backup was retried after it
            Lsn truncatedAt = h.chunks(s).stream()
                    .filter(c -> c.getChanges().stream().anyMatch(ch -> ch.getOp() == Op.TRUNCATE))
                    .map(c -> new Lsn(c.getCommitLsn()))
                    .findFirst()
                    .orElse(null);
            BaseBackupCompleted backup = h.catalogBodies(s).stream()
                    .filter(b -> b instanceof BaseBackupCompleted)
                    .map(b -> (BaseBackupCompleted) b)
                    .reduce((a, b) -> b)
                    .orElseThrow();
            Lsn consistent = new Lsn(backup.getConsistentLsn());
            long rows = rowsInDump(h.storage.resolve(backup.getStoragePrefix()).resolve(BaseBackupManifest.DUMP_FILE));
            if (truncatedAt != null) {
                assertThat(truncatedAt).isGreaterThanOrEqualTo(consistent);
            }
            assertThat(rows)
                    .as(
                            "rows of t in the dump at consistent point %s; TRUNCATE streamed at %s",
                            consistent, truncatedAt)
                    .isEqualTo(truncatedAt != null ? 100 : 0);
        }
    }

    private boolean slotExists(CaptureHarness.Source s) throws Exception {
        try (var c = pg.connect(s.db());
                var ps = c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, s.slot());
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    /** Data rows of table t in a custom-format dump, as pg_restore prints them. */
    private static long rowsInDump(Path dump) throws Exception {
        Path pgRestore = new ClientTools(null).find("pg_restore").orElseThrow().path();
        Process p = new ProcessBuilder(pgRestore.toString(), "--data-only", "--table=t", "--file=-", dump.toString())
                .redirectErrorStream(true)
                .start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines()
                .toList();
        assertThat(p.waitFor()).as(String.join("\n", lines)).isZero();
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("COPY public.t ")) {
                start = i;
            }
        }
        assertThat(start).as("COPY of t in the dump").isNotNegative();
        return lines.subList(start + 1, lines.size()).stream()
                .takeWhile(l -> !l.equals("\\."))
                .count();
    }

    /** I1: with Kafka gone, a committed transaction is never confirmed to the slot, not even by a heartbeat. */
    @Test
    void slotNeverConfirmsPastWhatKafkaAcknowledged() throws Exception {
        try (CaptureHarness h = new CaptureHarness()) {
            // short blocking so that shutting down without a broker does not take minutes
            h.startWorker(
                    "ack-worker",
                    "--spring.kafka.producer.properties.max.block.ms=3000",
                    "--spring.kafka.consumer.properties.default.api.timeout.ms=3000");
            CaptureHarness.Source s = h.createSource(pg, "CREATE TABLE t (id int PRIMARY KEY, v text)");
            h.publish(s, List.of("public.t"), 1, false);
            h.awaitState(s, CaptureState.STREAMING);
            s.sql("INSERT INTO t VALUES (1, 'acknowledged')");
            awaitInsertOf(h, s, "1");
            Lsn afterFirst = s.currentWal();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(s.confirmedFlush()).isGreaterThanOrEqualTo(afterFirst));

            h.kafka.close();
            Lsn beforeUnacknowledged = s.currentWal();
            s.sql("INSERT INTO t VALUES (2, 'never acknowledged')");
            // several heartbeat intervals (1 s) pass; the slot must stay before the unacknowledged commit
            for (int i = 0; i < 8; i++) {
                Thread.sleep(1000);
                assertThat(s.confirmedFlush()).isLessThanOrEqualTo(beforeUnacknowledged);
            }
            assertThat(s.lsn("SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '" + s.slot() + "'"))
                    .as("the WAL of the unacknowledged transaction is still retained")
                    .isLessThanOrEqualTo(beforeUnacknowledged);
        }
    }

    /**
     * Regression (the correctness checker): PostgreSQL before 17 keeps a slot's confirmed position in memory until a
     * checkpoint needs to write the slot anyway, so after the source restarts the slot may confirm less than capture
     * had Kafka acknowledge, and sends those transactions again. Capture starts at what Kafka acknowledged instead;
     * before, the repeats went to Kafka behind newer transactions.
     */
    @Test
    void aSourceRestartSendsNoTransactionAgain() throws Exception {
        try (PostgresCluster own = PostgresCluster.start(PgVersion.SYSTEM, java.util.Map.of());
                CaptureHarness h = new CaptureHarness()) {
            h.startWorker("restart-worker");
            CaptureHarness.Source s = h.createSource(own, "CREATE TABLE t (id int PRIMARY KEY)");
            h.publish(s, List.of("public.t"), 1, false);
            h.awaitState(s, CaptureState.STREAMING);
            for (int i = 1; i <= 200; i++) {
                s.sql("INSERT INTO t VALUES (" + i + ")");
            }
            Lsn written = s.currentWal();
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> assertThat(s.confirmedFlush()).isGreaterThanOrEqualTo(written));

            own.restart();
            for (int i = 201; i <= 220; i++) {
                s.sql("INSERT INTO t VALUES (" + i + ")");
            }
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(changes(h, s))
                                .anySatisfy(c ->
                                        assertThat(c.getNewValues().getFirst()).isEqualTo("220"));
                    });
            List<Long> commits = h.chunks(s).stream()
                    .filter(c -> c.getLastChunk())
                    .map(c -> c.getCommitLsn())
                    .toList();
            assertThat(commits).hasSize(220).doesNotHaveDuplicates().isSorted();
            assertThat(changes(h, s)).hasSize(220);
        }
    }

    /** I4: a slot dropped behind the worker's back is a gap, and a new base backup with a new slot follows. */
    @Test
    void droppedSlotIsAGapAndANewBaseBackupFollows() {
        try (CaptureHarness h = new CaptureHarness()) {
            h.startWorker("gap-worker");
            CaptureHarness.Source s = h.createSource(pg, "CREATE TABLE t (id int PRIMARY KEY)");
            h.publish(s, List.of("public.t"), 1, false);
            h.awaitState(s, CaptureState.STREAMING);
            s.sql("INSERT INTO t VALUES (1)");
            awaitInsertOf(h, s, "1");

            pg.execute(s.db(), """
                    DO $$
                    BEGIN
                      FOR i IN 1..200 LOOP
                        BEGIN
                          PERFORM pg_terminate_backend(active_pid) FROM pg_replication_slots
                            WHERE slot_name = '%1$s' AND active;
                          PERFORM pg_drop_replication_slot('%1$s');
                          RETURN;
                        EXCEPTION WHEN object_in_use THEN
                          PERFORM pg_sleep(0.02);
                        END;
                      END LOOP;
                      RAISE 'slot %1$s stayed in use';
                    END $$""".formatted(s.slot()));

            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> {
                        h.drain();
                        List<Object> bodies = h.catalogBodies(s);
                        assertThat(bodies).anySatisfy(b -> assertThat(b).isInstanceOf(GapDetected.class));
                        assertThat(bodies.stream()
                                        .filter(b -> b instanceof BaseBackupCompleted bb
                                                && bb.getReason().equals("AFTER_GAP"))
                                        .count())
                                .isEqualTo(1);
                    });
            long initial = h.catalogBodies(s).stream()
                    .filter(b -> b instanceof BaseBackupCompleted bb
                            && bb.getReason().equals("INITIAL"))
                    .count();
            assertThat(initial).isEqualTo(1);
            s.sql("INSERT INTO t VALUES (2)");
            awaitInsertOf(h, s, "2");
        }
    }

    @Test
    void postgres13SourceIsCapturedWithoutLogicalMessages() {
        PostgresCluster pg13 = PostgresCluster.shared(PgVersion.V13);
        try (CaptureHarness h = new CaptureHarness()) {
            h.startWorker("pg13-worker");
            CaptureHarness.Source s = h.createSource(pg13, "CREATE TABLE t (id int PRIMARY KEY, v text)");
            h.publish(s, List.of("public.t"), 1, false);
            h.awaitState(s, CaptureState.STREAMING);
            s.sql("INSERT INTO t VALUES (1, 'a')", "UPDATE t SET v = 'b' WHERE id = 1", "DELETE FROM t WHERE id = 1");
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(changes(h, s))
                                .extracting(RowChange::getOp)
                                .containsExactly(Op.INSERT, Op.UPDATE, Op.DELETE);
                    });
            assertThat(h.catalogBodies(s)).anySatisfy(b -> assertThat(b).isInstanceOf(BaseBackupCompleted.class));
        }
    }

    @Test
    void pauseKeepsTheSlotAndResumeLosesNothing() {
        try (CaptureHarness h = new CaptureHarness()) {
            h.startWorker("pause-worker");
            CaptureHarness.Source s = h.createSource(pg, "CREATE TABLE t (id int PRIMARY KEY)");
            h.publish(s, List.of("public.t"), 1, false);
            h.awaitState(s, CaptureState.STREAMING);

            h.publish(s, List.of("public.t"), 2, true);
            h.awaitState(s, CaptureState.PAUSED);
            Lsn beforePausedWrites = s.currentWal();
            s.sql("INSERT INTO t SELECT generate_series(1, 100)");
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(h.catalogBodies(s)).anySatisfy(b -> {
                            assertThat(b).isInstanceOf(SourceStatusReport.class);
                            SourceStatusReport st = (SourceStatusReport) b;
                            assertThat(st.getState()).isEqualTo(CaptureState.PAUSED);
                            assertThat(st.getRetainedWalBytes()).isNotNull().isPositive();
                        });
                    });
            assertThat(s.confirmedFlush()).isLessThanOrEqualTo(beforePausedWrites);
            assertThat(h.chunks(s)).isEmpty();

            h.publish(s, List.of("public.t"), 3, false);
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(h.chunks(s).stream()
                                        .mapToInt(c -> c.getChanges().size())
                                        .sum())
                                .isEqualTo(100);
                    });
        }
    }

    /** A requested base backup uses a temporary slot and does not interrupt the stream; a repeated request is a no-op. */
    @Test
    void requestedBaseBackupRunsWhileTheStreamGoesOn() throws Exception {
        try (CaptureHarness h = new CaptureHarness()) {
            h.startWorker("online-backup-worker");
            CaptureHarness.Source s = h.createSource(pg, "CREATE TABLE t (id int PRIMARY KEY)");
            h.publish(s, List.of("public.t"), 1, false);
            h.awaitState(s, CaptureState.STREAMING);
            String pidQuery =
                    "SELECT active_pid::text || '/0' FROM pg_replication_slots WHERE slot_name = '" + s.slot() + "'";
            Lsn walsenderBefore = s.lsn(pidQuery);

            java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            Thread writer = Thread.ofVirtual().start(() -> {
                while (writing.get()) {
                    s.sql("INSERT INTO t VALUES (" + next.incrementAndGet() + ")");
                }
            });
            h.publish(s, List.of("public.t"), 2, false, "req-1");
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(h.catalogBodies(s))
                                .anySatisfy(b -> assertThat(b instanceof BaseBackupCompleted bb
                                                && bb.getReason().equals("REQUESTED"))
                                        .isTrue());
                    });
            writing.set(false);
            writer.join();

            assertThat(s.lsn(pidQuery))
                    .as("the same walsender streamed throughout")
                    .isEqualTo(walsenderBefore);
            assertThat(
                            s.lsn(
                                    "SELECT count(*)::text || '/0' FROM pg_replication_slots WHERE slot_name LIKE 'recall_tmp_%'"))
                    .as("the temporary slot is gone")
                    .isEqualTo(Lsn.INVALID);
            long requested = h.catalogBodies(s).stream()
                    .filter(b -> b instanceof BaseBackupCompleted bb
                            && bb.getReason().equals("REQUESTED"))
                    .count();
            assertThat(requested).isEqualTo(1);
            BaseBackupCompleted initial = (BaseBackupCompleted) h.catalogBodies(s).stream()
                    .filter(b -> b instanceof BaseBackupCompleted bb
                            && bb.getReason().equals("INITIAL"))
                    .findFirst()
                    .orElseThrow();
            BaseBackupCompleted online = (BaseBackupCompleted) h.catalogBodies(s).stream()
                    .filter(b -> b instanceof BaseBackupCompleted bb
                            && bb.getReason().equals("REQUESTED"))
                    .findFirst()
                    .orElseThrow();
            assertThat(online.getConsistentLsn()).isGreaterThan(initial.getConsistentLsn());
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> {
                        h.drain();
                        assertThat(h.chunks(s).stream()
                                        .mapToInt(c -> c.getChanges().size())
                                        .sum())
                                .isEqualTo(next.get());
                    });

            // the same request again (a replayed desired state, a new epoch): answered already, nothing new
            h.publish(s, List.of("public.t"), 3, false, "req-1");
            Thread.sleep(3000);
            h.drain();
            assertThat(h.catalogBodies(s).stream()
                            .filter(b -> b instanceof BaseBackupCompleted bb
                                    && bb.getReason().equals("REQUESTED"))
                            .count())
                    .isEqualTo(1);
        }
    }
}
