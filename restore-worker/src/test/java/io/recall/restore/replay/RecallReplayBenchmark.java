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
import io.recall.schemas.change.TransactionChunk;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Replays one captured backlog four ways on this machine and prints rows/s and ratios (run with
 * {@code -Pbenchmarks}): Recall's {@link ReplayEngine}; the row-at-a-time {@link NaiveReplay}; native logical
 * replication (a subscription on a target restored from the same base backup, fed by a slot created at the same point,
 * timed from its apply worker's start until its replication origin reaches the backlog's end); and a plain COPY of the same row
 * images into empty tables of the same columns. Each replay must reproduce the source exactly.
 *
 * <p>Named so that {@code -Dit.test='Replay*'} does not pick it up: it runs only under {@code -Pbenchmarks}, e.g.
 * {@code ./mvnw -pl restore-worker -am verify -Pbenchmarks -Dit.test=RecallReplayBenchmark
 * -Dfailsafe.failIfNoSpecifiedTests=false}.
 *
 * <p>Workloads: pgbench's TPC-B-like script (scale and transactions from {@code -Dbench.scale},
 * {@code -Dbench.transactions}), and an insert-only one ({@code -Dbench.rows} rows in transactions of ten).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecallReplayBenchmark {

    private final PostgresCluster pg = PostgresCluster.shared(PgVersion.SYSTEM);
    private final ClientTools tools = new ClientTools(null);
    private final int scale = Integer.getInteger("bench.scale", 5);
    private final int transactions = Integer.getInteger("bench.transactions", 40_000);
    private final int insertRows = Integer.getInteger("bench.rows", 200_000);
    private final int repeat = Integer.getInteger("bench.repeat", 3);
    private final List<String> report = new ArrayList<>();
    private CaptureHarness harness;
    private BlobStore store;
    private BaseRestorer restorer;

    @BeforeAll
    void start() throws Exception {
        harness = new CaptureHarness();
        harness.startWorker("bench");
        store = BlobStores.open(StorageSettings.local(harness.storage));
        restorer = new BaseRestorer(store, tools, Files.createTempDirectory("recall-bench-work"), 2);
    }

    @AfterAll
    void stop() {
        System.out.println();
        System.out.println("=== replay benchmark (" + Runtime.getRuntime().availableProcessors() + " cores, PostgreSQL "
                + pg.majorVersion() + ") ===");
        report.forEach(System.out::println);
        if (harness != null) {
            harness.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void pgbenchWorkload() throws Exception {
        CaptureHarness.Source s = harness.createSource(pg);
        pgbench(s, "--initialize", "--scale=" + scale, "--quiet");
        List<String> tables = List.of(
                "public.pgbench_accounts",
                "public.pgbench_branches",
                "public.pgbench_tellers",
                "public.pgbench_history");
        run(
                "pgbench scale " + scale + ", " + transactions + " transactions",
                s,
                tables,
                () -> pgbench(s, "--no-vacuum", "--client=4", "--jobs=2", "--transactions=" + transactions / 4));
    }

    @Test
    void insertOnlyWorkload() throws Exception {
        CaptureHarness.Source s = harness.createSource(
                pg, "CREATE TABLE log (id bigint PRIMARY KEY, at timestamptz NOT NULL, kind int, msg text)");
        run(
                "insert-only, " + insertRows + " rows in transactions of 10",
                s,
                List.of("public.log"),
                () -> pg.execute(
                        s.db(),
                        "DO $$ BEGIN FOR i IN 0.." + (insertRows / 10 - 1) + " LOOP INSERT INTO log"
                                + " SELECT i * 10 + g, now(), g, md5(i::text || g) FROM generate_series(1, 10) g; COMMIT;"
                                + " END LOOP; END $$"));
    }

    private interface Workload {
        void run() throws Exception;
    }

    private void run(String title, CaptureHarness.Source s, List<String> tables, Workload workload) throws Exception {
        harness.publish(s, tables, 1, null);
        harness.awaitState(s, CaptureState.STREAMING);
        await().atMost(Duration.ofSeconds(120))
                .until(() -> !BaseBackupManifest.listCompleted(store, s.id()).isEmpty());
        BaseBackupManifest backup =
                BaseBackupManifest.listCompleted(store, s.id()).get(0);
        // one slot per native run, all at the same point, before the workload
        List<String> nativeSlots = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            nativeSlots.add("bench_" + s.id().objectSuffix() + "_" + i);
            pg.execute(s.db(), "SELECT pg_create_logical_replication_slot('" + nativeSlots.get(i) + "', 'pgoutput')");
        }

        workload.run();
        Lsn end = s.currentWal();
        harness.awaitDurable(s, end);
        List<TransactionChunk> chunks = harness.chunks(s);
        long changes = chunks.stream().mapToLong(c -> c.getChanges().size()).sum();
        long lastEnd =
                chunks.stream().mapToLong(TransactionChunk::getEndLsn).max().orElseThrow();
        Map<String, String> expected;
        try (Connection c = pg.connect(s.db())) {
            expected = ReplayPeers.hashes(c, tables);
        }
        Cutoff all = new Cutoff(new Lsn(Long.MAX_VALUE), new RestoreTarget.Latest());

        // Recall: a first, cold run (the JIT has not compiled the engine yet), then the measured one
        double cold;
        String coldDb = pg.createDatabase("bench_cold");
        try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(coldDb), false);
                Connection c = pg.connect(coldDb)) {
            long t0 = System.nanoTime();
            new ReplayEngine(c, ReplaySettings.defaults()).replay(chunks.iterator(), base.consistentPoint(), all);
            cold = ReplayPeers.rate(changes, t0);
        }
        String recallDb = null;
        ReplayResult result = null;
        List<Double> recall = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            String db = pg.createDatabase("bench_recall");
            try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(db), false);
                    Connection c = pg.connect(db)) {
                long t0 = System.nanoTime();
                ReplayResult r = new ReplayEngine(c, ReplaySettings.defaults())
                        .replay(chunks.iterator(), base.consistentPoint(), all);
                recall.add(ReplayPeers.rate(changes, t0));
                base.completeAfterReplay();
                assertThat(ReplayPeers.hashes(c, tables)).as("Recall's replay").isEqualTo(expected);
                if (recall.get(i) >= max(recall)) {
                    result = r;
                }
                recallDb = db;
            }
        }

        // row at a time
        String naiveDb = pg.createDatabase("bench_naive");
        double naive;
        try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(naiveDb), false);
                Connection c = pg.connect(naiveDb)) {
            base.completeAfterReplay();
            long t0 = System.nanoTime();
            NaiveReplay.apply(c, chunks, base.consistentPoint().value());
            naive = ReplayPeers.rate(changes, t0);
            assertThat(ReplayPeers.hashes(c, tables)).as("row-at-a-time replay").isEqualTo(expected);
        }

        // native logical replication
        List<Double> nativeRates = new ArrayList<>();
        for (String slot : nativeSlots) {
            String nativeDb = pg.createDatabase("bench_native");
            try (BaseRestorer.RestoredBase base = restorer.restore(backup, target(nativeDb), false);
                    Connection c = pg.connect(nativeDb)) {
                base.completeAfterReplay();
                nativeRates.add(ReplayPeers.nativeApplyRate(
                        pg, c, s.db(), s.user(), s.password(), s.slot(), slot, lastEnd, changes));
                assertThat(ReplayPeers.hashes(c, tables))
                        .as("native logical replication")
                        .isEqualTo(expected);
            }
        }

        // plain COPY of the same row images into empty tables of the same columns
        List<Double> copy = new ArrayList<>();
        try (Connection c = pg.connect(recallDb)) {
            for (int i = 0; i < repeat; i++) {
                copy.add(ReplayPeers.copyImagesRate(c, chunks, changes, "bench_copy_" + i));
            }
        }

        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add(title + ": " + chunks.size() + " chunks, " + result.transactions() + " transactions, " + changes
                + " row changes");
        lines.add(line("Recall replay", recall)
                + String.format(
                        Locale.ROOT,
                        "  (%d statements, %d commits; %d rows copied, %d updated, %d deleted; writing %d%% of the"
                                + " time)",
                        result.statements(),
                        result.commits(),
                        result.rowsCopied(),
                        result.rowsUpdated(),
                        result.rowsDeleted(),
                        100
                                * result.writing().toNanos()
                                / Math.max(1, result.elapsed().toNanos())));
        lines.add(line("Recall replay, first run in this JVM", List.of(cold)));
        lines.add(line("row-at-a-time (NaiveReplay)", List.of(naive)));
        lines.add(line("native logical replication", nativeRates));
        lines.add(line("plain COPY of the same row images", copy));
        lines.add(String.format(
                Locale.ROOT,
                "  best against best: Recall / row-at-a-time %.1fx, Recall / native %.2fx, Recall / COPY %.2fx",
                max(recall) / naive,
                max(recall) / max(nativeRates),
                max(recall) / max(copy)));
        report.addAll(lines);
        System.out.println(String.join("\n", lines));
        assertThat(max(recall)).as("set-based replay beats row-at-a-time").isGreaterThan(naive);
    }

    /** The best of the runs, and the range when there were several (this machine's load varies). */
    private static String line(String what, List<Double> rates) {
        String range = rates.size() < 2
                ? ""
                : String.format(
                        Locale.ROOT,
                        " (runs %.0f..%.0f)",
                        rates.stream().mapToDouble(d -> d).min().orElseThrow(),
                        max(rates));
        return String.format(Locale.ROOT, "  %-38s %10.0f rows/s%s", what, max(rates), range);
    }

    private static double max(List<Double> rates) {
        return rates.stream().mapToDouble(d -> d).max().orElseThrow();
    }

    private void pgbench(CaptureHarness.Source s, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(tools.find("pgbench").orElseThrow().path().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment()
                .putAll(ConnectionString.parse(pg.connectionUri(s.user(), s.password(), s.db()) + "?sslmode=disable")
                        .libpqEnvironment());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    private ConnectionString target(String db) {
        return ConnectionString.parse(
                pg.connectionUri(pg.superuser(), pg.superuserPassword(), db) + "?sslmode=disable");
    }
}
