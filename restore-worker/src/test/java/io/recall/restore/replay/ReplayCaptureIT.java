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
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.TransactionChunk;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restore equals the source at the target (I3) and every transaction is applied once (I2), end to end: a real stream
 * worker captures a source under a randomized workload (SourceWorkload) with two base backups, the second taken
 * while writers run. At checkpoints the workload pauses and the test records every table's ordered content hash just
 * before and just after a marker transaction, the server's WAL position and clock. Each test restores a base backup
 * chosen by {@link CutoffResolver} into a fresh database with {@link BaseRestorer}, replays the captured chunks with
 * {@link ReplayEngine}, creates the deferred foreign keys and triggers, and compares every table with the
 * checkpoint.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayCaptureIT {

    private static final Logger log = LoggerFactory.getLogger(ReplayCaptureIT.class);

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    private CaptureHarness harness;
    private CaptureHarness.Source source;
    private BlobStore store;
    private BaseRestorer restorer;
    private List<TransactionChunk> stream;
    private List<BaseBackupManifest> backups;
    private RecoveryWindow window;
    private final List<Checkpoint> checkpoints = new ArrayList<>();
    private Map<String, String> finalState;
    private long sourceTriggers;
    private long sourceForeignKeys;

    /** The source around one marker transaction. */
    private static final class Checkpoint {
        final String name;
        final Map<String, String> before;
        final Map<String, String> after;
        final long xid8;
        final Lsn walAfter;
        final Instant clockAfter;
        Lsn markerLsn;
        Instant markerTime;

        Checkpoint(
                String name,
                Map<String, String> before,
                Map<String, String> after,
                long xid8,
                Lsn walAfter,
                Instant clockAfter) {
            this.name = name;
            this.before = before;
            this.after = after;
            this.xid8 = xid8;
            this.walAfter = walAfter;
            this.clockAfter = clockAfter;
        }
    }

    @BeforeAll
    void captureAWorkload() throws Exception {
        long started = System.nanoTime();
        harness = new CaptureHarness();
        harness.startWorker("replay-it");
        List<String> setup = new ArrayList<>(List.of(SourceWorkload.DDL));
        setup.addAll(List.of(SourceWorkload.SEED));
        source = harness.createSource(pg, setup.toArray(String[]::new));
        store = BlobStores.open(StorageSettings.local(harness.storage));
        restorer = new BaseRestorer(store, new ClientTools(null), Files.createTempDirectory("recall-restore-work"), 2);

        harness.publish(source, SourceWorkload.TABLES, 1, null);
        harness.awaitState(source, CaptureState.STREAMING);
        awaitBackups(1);

        AtomicInteger ids = new AtomicInteger(100_000);
        SourceWorkload writer = new SourceWorkload(42, ids, "w0", true);
        for (int k = 1; k <= 3; k++) {
            writer.run(pg, source.db(), 120);
            checkpoints.add(checkpoint("cp" + k));
        }

        // concurrent writers while a second base backup is taken under a temporary slot; they do not truncate, since
        // a TRUNCATE racing the dump breaks the dump itself (SourceWorkload says why)
        List<Thread> threads = new ArrayList<>();
        List<SourceWorkload> concurrent = new ArrayList<>();
        for (int w = 1; w <= 3; w++) {
            SourceWorkload each = new SourceWorkload(42 + w, ids, "w" + w, false);
            concurrent.add(each);
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    each.run(pg, source.db(), 120);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        Thread.sleep(300);
        harness.publish(source, SourceWorkload.TABLES, 2, "second-backup");
        for (Thread t : threads) {
            t.join();
        }
        awaitBackups(2);
        for (int k = 4; k <= 6; k++) {
            checkpoints.add(checkpoint("cp" + k));
            writer.run(pg, source.db(), 120);
        }
        try (Connection c = pg.connect(source.db())) {
            finalState = SourceWorkload.hashes(c);
            sourceTriggers = count(c, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal");
            sourceForeignKeys = count(c, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'");
        }
        Lsn end = source.currentWal();
        Heartbeat hb = harness.awaitDurable(source, end);
        stream = harness.chunks(source);
        backups = BaseBackupManifest.listCompleted(store, source.id());
        BaseBackupManifest oldest = backups.get(0);
        window = new RecoveryWindow(
                oldest.consistentPoint(),
                oldest.snapshotTime(),
                new Lsn(hb.getWalEnd()),
                hb.getServerTime(),
                List.of());
        for (Checkpoint cp : checkpoints) {
            TransactionChunk marker = stream.stream()
                    .filter(c -> c.getXid() == (cp.xid8 & 0xFFFF_FFFFL) && c.getChunkIndex() == 0)
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("marker of " + cp.name + " not captured"));
            cp.markerLsn = new Lsn(marker.getCommitLsn());
            cp.markerTime = marker.getCommitTime();
        }
        int committed = writer.committed
                + concurrent.stream().mapToInt(w -> w.committed).sum();
        int failed = writer.failed + concurrent.stream().mapToInt(w -> w.failed).sum();
        log.info(
                "captured {} chunks of {} committed workload transactions ({} rolled back on purpose, {} failed) in {}"
                        + " ms; base backups at {}",
                stream.size(),
                committed,
                writer.rolledBack
                        + concurrent.stream().mapToInt(w -> w.rolledBack).sum(),
                failed,
                Duration.ofNanos(System.nanoTime() - started).toMillis(),
                backups.stream().map(BaseBackupManifest::consistentLsn).toList());
        log.info("failed workload transactions: {}", writer.failures);
        assertThat(committed).isGreaterThan(700);
        assertThat(backups).hasSize(2);
        assertThat(checkpoints.get(2).markerLsn).isLessThan(backups.get(1).consistentPoint());
        assertThat(checkpoints.get(3).markerLsn).isGreaterThan(backups.get(1).consistentPoint());
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
    void lsnTargetsIncludeOrExcludeTheTransactionAtThatLsn() throws Exception {
        Checkpoint cp1 = checkpoints.get(0);
        Restored after = restore(new RestoreTarget.AtLsn(cp1.markerLsn, true), stream, ReplaySettings.defaults());
        assertThat(after.backup()).isEqualTo(backups.get(0).backupId());
        assertThat(after.tables()).isEqualTo(cp1.after);
        assertThat(after.result().restoredTo().orElseThrow().commitLsn()).isEqualTo(cp1.markerLsn);
        assertThat(restore(new RestoreTarget.AtLsn(cp1.markerLsn, false), stream, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp1.before);

        Checkpoint cp4 = checkpoints.get(3);
        Restored later = restore(new RestoreTarget.AtLsn(cp4.markerLsn, true), stream, ReplaySettings.defaults());
        assertThat(later.backup())
                .as("the newer base backup")
                .isEqualTo(backups.get(1).backupId());
        assertThat(later.tables()).isEqualTo(cp4.after);
    }

    @Test
    void xidTargetsStopAtOrJustBeforeTheTransaction() throws Exception {
        Checkpoint cp2 = checkpoints.get(1);
        assertThat(restore(new RestoreTarget.AtXid(cp2.xid8, true), stream, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp2.after);
        assertThat(restore(new RestoreTarget.AtXid(cp2.xid8 & 0xFFFF_FFFFL, false), stream, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp2.before);
        Checkpoint cp5 = checkpoints.get(4);
        long withEpoch = (5L << 32) | (cp5.xid8 & 0xFFFF_FFFFL);
        assertThat(restore(new RestoreTarget.AtXid(withEpoch, true), stream, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp5.after);
    }

    @Test
    void timeTargetsStopBeforeTheFirstLaterTransaction() throws Exception {
        Checkpoint cp3 = checkpoints.get(2);
        assertThat(restore(new RestoreTarget.AtTime(cp3.clockAfter, true), stream, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp3.after);
        assertThat(restore(new RestoreTarget.AtTime(cp3.markerTime, false), stream, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp3.before);
        Checkpoint cp6 = checkpoints.get(5);
        Restored r = restore(new RestoreTarget.AtTime(cp6.clockAfter, true), stream, ReplaySettings.defaults());
        assertThat(r.backup()).isEqualTo(backups.get(1).backupId());
        assertThat(r.tables()).isEqualTo(cp6.after);
    }

    @Test
    void restorePointAndLatest() throws Exception {
        Checkpoint cp5 = checkpoints.get(4);
        assertThat(restore(new RestoreTarget.AtRestorePoint("cp5", cp5.walAfter), stream, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp5.after);
        Restored latest = restore(new RestoreTarget.Latest(), stream, ReplaySettings.defaults());
        assertThat(latest.tables()).isEqualTo(finalState);
        assertThat(latest.triggers()).as("triggers created after replay").isEqualTo(sourceTriggers);
        assertThat(latest.foreignKeys()).as("foreign keys created after replay").isEqualTo(sourceForeignKeys);
    }

    @Test
    void repeatedAndOverlappingChunksChangeNothing() throws Exception {
        Random r = new Random(7);
        List<TransactionChunk> messy = new ArrayList<>();
        for (int i = 0; i < stream.size(); i++) {
            messy.add(stream.get(i));
            if (r.nextInt(10) == 0) {
                messy.add(stream.get(i)); // a retried record
            }
            if (r.nextInt(200) == 0) {
                messy.addAll(stream.subList(Math.max(0, i - r.nextInt(40)), i + 1)); // an overlapping segment
            }
        }
        messy.addAll(stream.subList(stream.size() / 2, stream.size())); // a whole segment again at the end
        assertThat(messy.size()).isGreaterThan(stream.size() * 11 / 10);
        Checkpoint cp2 = checkpoints.get(1);
        assertThat(restore(new RestoreTarget.AtTime(cp2.clockAfter, true), messy, ReplaySettings.defaults())
                        .tables())
                .isEqualTo(cp2.after);
        Restored latest = restore(new RestoreTarget.Latest(), messy, ReplaySettings.defaults());
        assertThat(latest.tables()).isEqualTo(finalState);
    }

    @Test
    void batchSizeAndMemoryBudgetDoNotChangeTheResult() throws Exception {
        Checkpoint cp5 = checkpoints.get(4);
        // one source transaction per commit, and a flush after nearly every change
        Restored small = restore(new RestoreTarget.AtLsn(cp5.markerLsn, true), stream, new ReplaySettings(1, 1, 1024));
        assertThat(small.tables()).isEqualTo(cp5.after);
        // the whole stream in one target transaction
        Restored large = restore(
                new RestoreTarget.Latest(), stream, new ReplaySettings(Integer.MAX_VALUE, Integer.MAX_VALUE, 1L << 40));
        assertThat(large.tables()).isEqualTo(finalState);
        assertThat(large.result().commits()).isEqualTo(1);
        // from the older backup across the newer one's consistent point, in moderate batches
        Cutoff latest = CutoffResolver.resolve(new RestoreTarget.Latest(), window, headers(stream));
        Restored medium = restoreFrom(backups.get(0), latest, stream, new ReplaySettings(20, 500, 64 << 10));
        assertThat(medium.tables()).isEqualTo(finalState);
        assertThat(medium.result().commits()).isGreaterThan(20);
    }

    @Test
    void aReplayResumesAfterItsLastCommitAndNeverAppliesATransactionTwice() throws Exception {
        Checkpoint cp2 = checkpoints.get(1);
        Cutoff first = CutoffResolver.resolve(new RestoreTarget.AtXid(cp2.xid8, true), window, headers(stream));
        Cutoff last = CutoffResolver.resolve(new RestoreTarget.Latest(), window, headers(stream));
        BaseBackupManifest backup = CutoffResolver.chooseBaseBackup(first, backups, List.of());
        String db = pg.createDatabase("resumed");
        try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(db), false);
                Connection c = pg.connect(db)) {
            ReplayResult r1 = new ReplayEngine(c, new ReplaySettings(50, 10_000, 1 << 20))
                    .replay(stream.iterator(), base.consistentPoint(), first);
            assertThat(SourceWorkload.hashes(c)).isEqualTo(cp2.after);
            assertThat(ReplayEngine.appliedThrough(c).orElseThrow().commitLsn()).isEqualTo(cp2.markerLsn);

            // a second run (a restarted job, or a later target) continues where the first committed
            ReplayResult r2 = new ReplayEngine(c, ReplaySettings.defaults())
                    .replay(stream.iterator(), base.consistentPoint(), last);
            assertThat(r2.transactions()).isPositive();
            assertThat(r1.transactions() + r2.transactions())
                    .as("every transaction once")
                    .isEqualTo(countTransactions(base.consistentPoint(), last));
            assertThat(SourceWorkload.hashes(c)).isEqualTo(finalState);

            // and a third finds nothing left to do
            ReplayResult r3 = new ReplayEngine(c, ReplaySettings.defaults())
                    .replay(stream.iterator(), base.consistentPoint(), last);
            assertThat(r3.transactions()).isZero();
            assertThat(r3.restoredTo()).isEqualTo(r2.restoredTo());
            assertThat(SourceWorkload.hashes(c)).isEqualTo(finalState);
            base.completeAfterReplay();
            ReplayEngine.dropProgress(c);
            assertThat(ReplayEngine.appliedThrough(c)).isEmpty();
        }
    }

    /**
     * Both ways to the second backup's consistent point agree: the first backup replayed up to it, and the second
     * backup's dump. (With a TRUNCATE committing between the second backup's consistent point and pg_dump's lock on
     * the table, they do not: the dump misses the truncated rows. The workload avoids that race.)
     */
    @Test
    void theOlderBackupReplayedToTheNewerOnesConsistentPointEqualsTheNewerBackup() throws Exception {
        BaseBackupManifest older = backups.get(0);
        BaseBackupManifest newer = backups.get(1);
        Cutoff atNewer = new Cutoff(newer.consistentPoint(), new RestoreTarget.AtLsn(newer.consistentPoint(), false));
        Map<String, String> replayed =
                restoreFrom(older, atNewer, stream, ReplaySettings.defaults()).tables();
        Map<String, String> dumped =
                restoreFrom(newer, atNewer, stream, ReplaySettings.defaults()).tables();
        assertThat(replayed).isEqualTo(dumped);
    }

    // ---- helpers

    private record Restored(
            String backup, Map<String, String> tables, ReplayResult result, long triggers, long foreignKeys) {}

    private Restored restore(RestoreTarget target, List<TransactionChunk> chunks, ReplaySettings settings)
            throws Exception {
        Cutoff cutoff = CutoffResolver.resolve(target, window, headers(chunks));
        BaseBackupManifest backup = CutoffResolver.chooseBaseBackup(cutoff, backups, List.of());
        return restoreFrom(backup, cutoff, chunks, settings);
    }

    private Restored restoreFrom(
            BaseBackupManifest backup, Cutoff cutoff, List<TransactionChunk> chunks, ReplaySettings settings)
            throws Exception {
        RestoreTarget target = cutoff.target();
        long started = System.nanoTime();
        String db = pg.createDatabase("restored");
        try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(db), false);
                Connection c = pg.connect(db)) {
            ReplayResult result =
                    new ReplayEngine(c, settings).replay(chunks.iterator(), base.consistentPoint(), cutoff);
            base.completeAfterReplay();
            ReplayEngine.dropProgress(c);
            Map<String, String> tables = SourceWorkload.hashes(c);
            long triggers = count(c, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal");
            long fks = count(c, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'");
            log.info(
                    "restore to {} from backup {}: {} transactions, {} changes, {} ms in all",
                    CutoffResolver.describe(target),
                    backup.consistentLsn(),
                    result.transactions(),
                    result.changes(),
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            return new Restored(backup.backupId(), tables, result, triggers, fks);
        }
    }

    private ConnectionString target(String db) {
        return ConnectionString.parse(
                pg.connectionUri(pg.superuser(), pg.superuserPassword(), db) + "?sslmode=disable");
    }

    private static java.util.Iterator<CommitHeader> headers(List<TransactionChunk> chunks) {
        return TransactionReader.headers(chunks.iterator());
    }

    private long countTransactions(Lsn from, Cutoff cutoff) {
        return stream.stream()
                .filter(c -> c.getChunkIndex() == 0 && c.getXid() != 0)
                .map(c -> new Lsn(c.getCommitLsn()))
                .filter(l -> !l.isBefore(from) && cutoff.includes(l))
                .distinct()
                .count();
    }

    private Checkpoint checkpoint(String name) throws Exception {
        try (Connection c = pg.connect(source.db())) {
            Map<String, String> before = SourceWorkload.hashes(c);
            long xid8;
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("UPDATE accounts SET balance = balance + 1, note = '" + name + "' WHERE id = (SELECT min(id)"
                        + " FROM accounts)");
                st.execute("INSERT INTO events VALUES (clock_timestamp(), 'happy', '{\"checkpoint\": \"" + name
                        + "\"}', NULL)");
                try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text")) {
                    rs.next();
                    xid8 = Long.parseLong(rs.getString(1));
                }
            }
            c.commit();
            c.setAutoCommit(true);
            Map<String, String> after = SourceWorkload.hashes(c);
            Lsn wal;
            Instant clock;
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text, clock_timestamp()")) {
                rs.next();
                wal = Lsn.parse(rs.getString(1));
                clock = rs.getObject(2, java.time.OffsetDateTime.class).toInstant();
            }
            Thread.sleep(5); // the next transaction commits strictly after this clock reading
            return new Checkpoint(name, before, after, xid8, wal, clock);
        }
    }

    private void awaitBackups(int n) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(300))
                .until(() ->
                        BaseBackupManifest.listCompleted(store, source.id()).size() >= n);
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
