package io.recall.benchmarks;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.pg.ClientTools;
import io.recall.common.pg.ConnectionString;
import io.recall.common.segment.NdjsonBaseline;
import io.recall.common.segment.SegmentWriter;
import io.recall.restore.base.BaseRestorer;
import io.recall.restore.replay.Cutoff;
import io.recall.restore.replay.ReplayEngine;
import io.recall.restore.replay.ReplayPeers;
import io.recall.restore.replay.ReplayResult;
import io.recall.restore.replay.ReplaySettings;
import io.recall.restore.replay.RestoreTarget;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.TransactionChunk;
import io.recall.worker.capture.IdleSourcesMemoryBenchmark;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One workload through every figure that uses it. Order: tables and initial data; Recall sources registered one by one
 * (each base backup timed, with {@code pg_dump -Fc} and {@code pg_restore} of the same database beside it); a slot per
 * repetition for each peer; the backlog; then per repetition a raw drain, a Recall capture worker and a Debezium
 * engine, each draining its own slot; then storage, replay and (pgbench) RPO on what the first Recall run captured.
 */
final class WorkloadRun {

    private static final Logger log = LoggerFactory.getLogger(WorkloadRun.class);

    private final Fixture f;
    private final Settings settings;
    private final Workload w;
    private final Results results;
    private final ClientTools tools = new ClientTools(null);
    private final String tag;

    private Fixture.Db db;
    private final List<Fixture.Source> sources = new ArrayList<>();
    private Lsn end;
    private List<ChangeEnvelope> captured;
    private long rows;

    WorkloadRun(Fixture f, Settings settings, Workload w, Results results) {
        this.f = f;
        this.settings = settings;
        this.w = w;
        this.results = results;
        this.tag = w.name().replace('-', '_');
    }

    void run() throws Exception {
        boolean capture = settings.runs("capture");
        boolean needsStream = capture
                || settings.runs("replay")
                || settings.runs("storage")
                || (settings.runs("rpo") && w.name().equals("pgbench"));
        boolean backupFigure = settings.runs("backup") && w.name().equals("pgbench");
        if (!needsStream && !backupFigure) {
            return;
        }
        int n = settings.repetitions();
        log.info("workload {}: creating tables", w.name());
        db = f.createDb(tag);
        w.create().run(f, db);
        Map<String, Long> initialSizes = sizes();

        // Recall sources, registered one after the other: each takes its base backup (timed) and starts streaming
        String setupPrefix = "setup_" + tag + ".";
        f.createTopics(setupPrefix, Map.of());
        List<Double> recallBackup = new ArrayList<>();
        ConfigurableApplicationContext worker = f.startInProcessWorker(setupPrefix);
        try {
            f.awaitCaptureAssignment(setupPrefix);
            // per repetition one source for a fresh worker JVM and, for the capture figures, one more that the same
            // worker streams next, warm
            for (int i = 0; i < (capture ? 2 * n : n); i++) {
                Fixture.Source s = f.newSource(db, w.tables());
                sources.add(s);
                long t0 = System.nanoTime();
                f.publish(setupPrefix, s);
                while (BaseBackupManifest.listCompleted(f.store, s.id()).isEmpty()) {
                    Thread.sleep(20);
                }
                recallBackup.add(seconds(t0));
                try (Fixture.SlotWatch watch = f.new SlotWatch(db, s.slot())) {
                    watch.awaitActive(null, Duration.ofMinutes(2));
                }
            }
        } finally {
            worker.close();
        }
        if (backupFigure) {
            backupFigure(recallBackup, initialSizes);
        }
        if (!needsStream) {
            f.dropSlots(db);
            return;
        }

        for (int i = 0; i < n; i++) {
            f.createSlot(db, "raw_" + i);
            f.createSlot(db, "dbz_" + i);
            f.createSlot(db, "native_" + i);
        }
        log.info("workload {}: writing the backlog", w.name());
        Lsn start = f.currentWal(db);
        long t0 = System.nanoTime();
        w.backlog().run(f, db);
        double backlogSeconds = seconds(t0);
        end = f.currentWal(db);
        Map<String, String> expected;
        try (Connection c = f.pg.connect(db.name())) {
            expected = ReplayPeers.hashes(c, w.tables());
        }

        List<Double> raw = new ArrayList<>();
        List<Double> recallStream = new ArrayList<>();
        List<Double> recallFromStart = new ArrayList<>();
        List<Double> recallRss = new ArrayList<>();
        List<Double> dbzFromStart = new ArrayList<>();
        List<Double> dbzRss = new ArrayList<>();
        List<Double> dbzStream = new ArrayList<>();
        List<Double> recallStartup = new ArrayList<>();
        List<Cpu> recallCpu = new ArrayList<>();
        List<Double> recallWarm = new ArrayList<>();
        List<Cpu> recallWarmCpu = new ArrayList<>();
        List<Cpu> rawCpu = new ArrayList<>();
        List<Double> dbzStartup = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (capture || i == 0) {
                // the first Recall run is also where storage, replay and RPO take their stream from
                RecallRun r = recallCapture(
                        sources.get(i), capture ? sources.get(n + i) : null, "cap_" + tag + "_" + i + ".");
                if (i == 0) {
                    readCaptured(sources.get(0), "cap_" + tag + "_0.");
                }
                recallStream.add(rows / r.streamSeconds);
                recallFromStart.add(rows / r.totalSeconds);
                recallRss.add(r.peakKiB / 1024.0);
                recallStartup.add(r.totalSeconds - r.streamSeconds);
                recallCpu.add(r.cpu);
                if (capture) {
                    recallWarm.add(rows / r.warmSeconds);
                    recallWarmCpu.add(r.warmCpu);
                }
            }
            if (capture) {
                RawRun rr = rawDrain("raw_" + i);
                raw.add(rr.rate);
                rawCpu.add(rr.cpu);
                DbzRun d = debezium("dbz_" + i);
                dbzFromStart.add(rows / d.totalSeconds);
                dbzStream.add(rows / d.streamSeconds);
                dbzRss.add(d.peakKiB / 1024.0);
                dbzStartup.add(d.totalSeconds - d.streamSeconds);
            }
        }
        long walBytes = end.value() - start.value();
        results.workload(
                w.name(),
                String.format(
                        Locale.ROOT,
                        "%s — %,d row changes in %,d transactions, %.1f MB of WAL, written in %.0f s; tables before: %s,"
                                + " after: %s",
                        w.shape(),
                        rows,
                        captured.stream()
                                .filter(e -> e.getBody() instanceof TransactionChunk c && c.getLastChunk())
                                .count(),
                        walBytes / 1e6,
                        backlogSeconds,
                        sizeText(initialSizes),
                        sizeText(sizes())));

        if (capture) {
            results.add(new Results.Figure(
                    "capture rows/s, slot streamed → acknowledged in Kafka",
                    w.name(),
                    "%,.0f",
                    recallWarm,
                    "raw drain (pg_recvlogical, pgoutput to /dev/null)",
                    raw,
                    Results.Goal.atLeast(0.9, "≥ 0.9x"),
                    "a running worker (it has just drained the backlog once from another slot) given one more source;"
                            + " both timed from the moment a walsender streams the slot, Recall until the slot is"
                            + " confirmed past the backlog (it confirms only what Kafka acknowledged). "
                            + cpuText(recallWarmCpu, rawCpu)));
            results.add(new Results.Figure(
                    "capture rows/s, as above, worker JVM just started",
                    w.name(),
                    "%,.0f",
                    recallStream,
                    "raw drain (pg_recvlogical, pgoutput to /dev/null)",
                    raw,
                    Results.Goal.none(),
                    "the drain right after start-up, its code still being compiled. " + cpuText(recallCpu, rawCpu)));
            results.add(new Results.Figure(
                    "capture rows/s, process start → last record",
                    w.name(),
                    "%,.0f",
                    recallFromStart,
                    "Debezium 3.6.1.Final embedded engine, PostgreSQL connector, pgoutput",
                    dbzFromStart,
                    Results.Goal.atLeast(2.5, "≥ 2.5x"),
                    String.format(
                            Locale.ROOT,
                            "start-up until the slot streams: Recall %.1f s (%s), Debezium %.1f s (as it ships, no"
                                    + " cache); streaming alone: Debezium %,.0f rows/s",
                            Results.median(recallStartup),
                            settings.workerAot()
                                    ? "with the AOT cache its image builds, trained by docker/recall-aot-train"
                                    : "no AOT cache: -Dbench.worker.aot=false",
                            Results.median(dbzStartup),
                            Results.median(dbzStream))));
            results.add(new Results.Figure(
                    "capture worker peak RSS (VmHWM)",
                    w.name(),
                    "%,.0f MiB",
                    recallRss,
                    "Debezium engine",
                    dbzRss,
                    Results.Goal.atMost(1.0 / 3, "≤ 0.33x"),
                    "both -Xmx" + settings.workerHeap()
                            + (settings.jvmOptions().isEmpty()
                                    ? ", other heap settings the JVM's defaults (initial heap 1/64 of RAM)"
                                    : " " + String.join(" ", settings.jvmOptions()))));
        }
        if (settings.runs("storage")) {
            storageFigure();
        }
        if (settings.runs("replay")) {
            replayFigures(expected);
        }
        if (settings.runs("rpo") && w.name().equals("pgbench")) {
            rpoFigure();
        }
        f.dropSlots(db);
    }

    // ------------------------------------------------------------------ capture

    /** CPU seconds while the slot streamed: the capture worker, the suite's JVM (the Kafka broker), the walsender. */
    private record Cpu(double client, double broker, double walsender) {}

    /**
     * @param streamSeconds the fresh worker's drain, from the slot streaming until it is confirmed past the backlog
     * @param totalSeconds the same end, from the worker JVM's start
     * @param warmSeconds the same worker's drain of the same backlog from a second source's slot, right after
     */
    private record RecallRun(
            double streamSeconds, double totalSeconds, long peakKiB, Cpu cpu, double warmSeconds, Cpu warmCpu) {}

    /**
     * A capture worker JVM with one source: from its start, through the slot streaming, to the backlog's end; then,
     * when {@code warm} is given, the same worker (its code now compiled) drains the same backlog again from that
     * source's slot.
     */
    private RecallRun recallCapture(Fixture.Source s, Fixture.Source warm, String prefix) throws Exception {
        f.createTopics(prefix, Map.of());
        f.publish(prefix, s);
        try (Fixture.SlotWatch watch = f.new SlotWatch(db, s.slot())) {
            long t0 = System.nanoTime();
            Process p = f.startWorkerProcess(prefix, "capture-" + prefix.replace(".", ""));
            try {
                long active = watch.awaitActive(p, Duration.ofMinutes(2));
                long walsender = watch.activePid();
                long self = ProcessHandle.current().pid();
                double w0 = Fixture.cpuSeconds(p.pid());
                double b0 = Fixture.cpuSeconds(self);
                double s0 = Fixture.cpuSeconds(walsender);
                long done = watch.awaitConfirmed(end, p, Duration.ofMinutes(10));
                Cpu cpu = new Cpu(
                        Fixture.cpuSeconds(p.pid()) - w0,
                        Fixture.cpuSeconds(self) - b0,
                        Fixture.cpuSeconds(walsender) - s0);
                long peak = IdleSourcesMemoryBenchmark.status(p.pid(), "VmHWM:");
                double warmSeconds = Double.NaN;
                Cpu warmCpu = null;
                if (warm != null) {
                    f.publish(prefix, warm);
                    try (Fixture.SlotWatch second = f.new SlotWatch(db, warm.slot())) {
                        long warmActive = second.awaitActive(p, Duration.ofMinutes(2));
                        long ws = second.activePid();
                        double ww0 = Fixture.cpuSeconds(p.pid());
                        double wb0 = Fixture.cpuSeconds(self);
                        double ws0 = Fixture.cpuSeconds(ws);
                        long warmDone = second.awaitConfirmed(end, p, Duration.ofMinutes(10));
                        warmCpu = new Cpu(
                                Fixture.cpuSeconds(p.pid()) - ww0,
                                Fixture.cpuSeconds(self) - wb0,
                                Fixture.cpuSeconds(ws) - ws0);
                        warmSeconds = (warmDone - warmActive) / 1e9;
                    }
                }
                return new RecallRun((done - active) / 1e9, (done - t0) / 1e9, peak, cpu, warmSeconds, warmCpu);
            } finally {
                Fixture.stop(p);
            }
        }
    }

    private void readCaptured(Fixture.Source s, String prefix) throws Exception {
        List<ChangeEnvelope> out = new ArrayList<>();
        f.readChanges(prefix, s.id(), end, t -> out.add(t.envelope()));
        captured = out;
        rows = chunks().stream()
                .flatMap(c -> c.getChanges().stream())
                .filter(c -> c.getOp() == Op.INSERT || c.getOp() == Op.UPDATE || c.getOp() == Op.DELETE)
                .count();
    }

    private List<TransactionChunk> chunks() {
        return captured.stream()
                .filter(e -> e.getBody() instanceof TransactionChunk)
                .map(e -> (TransactionChunk) e.getBody())
                .toList();
    }

    private record RawRun(double rate, Cpu cpu) {}

    /** pg_recvlogical reading the slot's pgoutput stream (same publication and options as Recall) to /dev/null. */
    private RawRun rawDrain(String slot) throws Exception {
        List<String> cmd = List.of(
                tools.find("pg_recvlogical").orElseThrow().path().toString(),
                "--dbname=" + db.name(),
                "--slot=" + slot,
                "--start",
                "--no-loop",
                "--endpos=" + end,
                "--option=proto_version=1",
                "--option=publication_names=" + sources.get(0).publication(),
                "--option=messages=true",
                "--file=/dev/null");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(f.logs.resolve("pg_recvlogical-" + tag + "-" + slot + ".log")
                        .toFile());
        pb.environment().putAll(Workload.libpq(f, db));
        try (Fixture.SlotWatch watch = f.new SlotWatch(db, slot)) {
            Process p = pb.start();
            long active = watch.awaitActive(p, Duration.ofMinutes(1));
            long walsender = watch.activePid();
            double s0 = Fixture.cpuSeconds(walsender);
            double c0 = Fixture.cpuSeconds(p.pid());
            double s1 = s0;
            double c1 = c0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            // both processes end with the drain: their CPU is sampled until then
            while (!p.waitFor(10, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                s1 = Math.max(s1, Fixture.cpuSeconds(walsender));
                c1 = Math.max(c1, Fixture.cpuSeconds(p.pid()));
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("pg_recvlogical did not finish in 10 minutes");
                }
            }
            double rate = rows / ((System.nanoTime() - active) / 1e9);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("pg_recvlogical failed, see its log");
            }
            return new RawRun(rate, new Cpu(c1 - c0, 0, s1 - s0));
        }
    }

    private record DbzRun(double streamSeconds, double totalSeconds, long peakKiB) {}

    /** Debezium's embedded engine in a JVM of its own (see DebeziumDrain), until it has handed over every row. */
    private DbzRun debezium(String slot) throws Exception {
        String classpath = Files.readString(settings.peerClasspath()).strip()
                + java.io.File.pathSeparator
                + settings.peerClasses();
        List<String> cmd = new ArrayList<>(List.of(Fixture.javaBinary(), "-Xmx" + settings.workerHeap()));
        cmd.addAll(settings.jvmOptions());
        cmd.addAll(List.of(
                "-cp",
                classpath,
                "io.recall.benchmarks.debezium.DebeziumDrain",
                f.pg.host(),
                Integer.toString(f.pg.port()),
                db.name(),
                db.user(),
                db.password(),
                slot,
                sources.get(0).publication(),
                Long.toString(rows),
                "600"));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectError(
                        f.logs.resolve("debezium-" + tag + "-" + slot + ".log").toFile());
        try (Fixture.SlotWatch watch = f.new SlotWatch(db, slot)) {
            long startMillis = System.currentTimeMillis();
            long t0 = System.nanoTime();
            Process p = pb.start();
            try {
                long active = watch.awaitActive(p, Duration.ofMinutes(2));
                long activeMillis = startMillis + (active - t0) / 1_000_000;
                try (BufferedReader out =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        String[] parts = line.split(" ");
                        if (parts[0].equals("done")) {
                            long doneMillis = Long.parseLong(parts[1]);
                            return new DbzRun(
                                    (doneMillis - activeMillis) / 1e3,
                                    (doneMillis - startMillis) / 1e3,
                                    Long.parseLong(parts[3]));
                        }
                        if (!parts[0].equals("first")) {
                            throw new IllegalStateException("Debezium peer: " + line);
                        }
                    }
                }
                throw new IllegalStateException("Debezium peer ended without a result; see its log");
            } finally {
                Fixture.stop(p);
            }
        }
    }

    /** Median CPU seconds per 100,000 rows of each process during the drains. */
    private String cpuText(List<Cpu> recall, List<Cpu> raw) {
        double per = 100_000.0 / rows;
        return String.format(
                Locale.ROOT,
                "CPU s per 100k rows while draining: Recall worker %.2f + Kafka broker %.2f, its walsender %.2f;"
                        + " pg_recvlogical %.2f, its walsender %.2f",
                per * Results.median(recall.stream().map(Cpu::client).toList()),
                per * Results.median(recall.stream().map(Cpu::broker).toList()),
                per * Results.median(recall.stream().map(Cpu::walsender).toList()),
                per * Results.median(raw.stream().map(Cpu::client).toList()),
                per * Results.median(raw.stream().map(Cpu::walsender).toList()));
    }

    // ------------------------------------------------------------------ storage

    private void storageFigure() throws Exception {
        Path spool = Files.createTempDirectory("recall-bench-spool");
        long changes = NdjsonBaseline.changes(captured);
        long segment = NdjsonBaseline.segmentBytes(captured, SegmentWriter.Options.DEFAULT, spool);
        long ndjson = NdjsonBaseline.gzippedBytes(captured);
        results.add(new Results.Figure(
                "stored bytes per change",
                w.name(),
                "%.2f B",
                List.of((double) segment / changes),
                "gzip NDJSON of the same changes",
                List.of((double) ndjson / changes),
                Results.Goal.atMost(0.4, "≤ 0.4x"),
                String.format(
                        Locale.ROOT,
                        "the captured stream: %,d changes in a %,d-byte segment (zstd 3, 1 MiB blocks) against %,d"
                                + " bytes; deterministic, measured once",
                        changes,
                        segment,
                        ndjson)));
    }

    // ------------------------------------------------------------------ replay

    private void replayFigures(Map<String, String> expected) throws Exception {
        List<TransactionChunk> chunks = chunks();
        BaseBackupManifest backup =
                BaseBackupManifest.listCompleted(f.store, sources.get(0).id()).get(0);
        long lastEnd =
                chunks.stream().mapToLong(TransactionChunk::getEndLsn).max().orElseThrow();
        Cutoff all = new Cutoff(new Lsn(Long.MAX_VALUE), new RestoreTarget.Latest());
        BaseRestorer restorer = new BaseRestorer(f.store, tools, Files.createTempDirectory("recall-bench-work"), 2);
        List<Double> recall = new ArrayList<>();
        List<Double> nativeApply = new ArrayList<>();
        List<Double> copy = new ArrayList<>();
        List<Double> writerBusy = new ArrayList<>();
        // row images with unchanged-TOAST values cannot be copied: the COPY figure is for the other two
        boolean copyBaseline = !w.name().equals("wide-toast");
        // a first replay in this JVM compiles the engine; a restore worker replays many backlogs, so it is not counted
        for (int i = -1; i < settings.repetitions(); i++) {
            String target = f.pg.createDatabase("replay_" + tag);
            try (BaseRestorer.RestoredBase base = restorer.restore(backup, superuser(target), false);
                    Connection c = f.pg.connect(target)) {
                long t0 = System.nanoTime();
                ReplayResult result = new ReplayEngine(c, ReplaySettings.defaults())
                        .replay(chunks.iterator(), base.consistentPoint(), all);
                double rate = ReplayPeers.rate(rows, t0);
                base.completeAfterReplay();
                check(ReplayPeers.hashes(c, w.tables()), expected, "Recall's replay");
                if (i >= 0) {
                    recall.add(rate);
                    writerBusy.add((double) result.writing().toNanos()
                            / result.elapsed().toNanos());
                    if (copyBaseline) {
                        copy.add(ReplayPeers.copyImagesRate(c, chunks, rows, "bench_copy"));
                    }
                }
            }
            dropDatabase(target);
            if (i < 0) {
                continue;
            }
            String nativeDb = f.pg.createDatabase("native_" + tag);
            try (BaseRestorer.RestoredBase base = restorer.restore(backup, superuser(nativeDb), false);
                    Connection c = f.pg.connect(nativeDb)) {
                base.completeAfterReplay();
                nativeApply.add(ReplayPeers.nativeApplyRate(
                        f.pg,
                        c,
                        db.name(),
                        db.user(),
                        db.password(),
                        sources.get(0).publication(),
                        "native_" + i,
                        lastEnd,
                        rows));
                check(ReplayPeers.hashes(c, w.tables()), expected, "native logical replication");
            }
            dropDatabase(nativeDb);
        }
        results.add(new Results.Figure(
                "replay rows/s into a target",
                w.name(),
                "%,.0f",
                recall,
                "native logical replication (a subscription)",
                nativeApply,
                Results.Goal.atLeast(3, "≥ 3x"),
                String.format(
                        Locale.ROOT,
                        "the same backlog on a target restored from the same base backup; both results checked"
                                + " against the source. Recall's writer was busy %.0f%% of its replay (writing to"
                                + " the target, in its own thread, while the next batch is read)",
                        100 * Results.median(writerBusy))));
        if (!copyBaseline) {
            return;
        }
        results.add(new Results.Figure(
                "replay rows/s" + (w.name().equals("insert-heavy") ? ", insert-only" : " (against COPY)"),
                w.name(),
                "%,.0f",
                recall,
                "plain COPY of the same row images",
                copy,
                w.name().equals("insert-heavy") ? Results.Goal.atLeast(0.5, "≥ 0.5x") : Results.Goal.none(),
                null));
    }

    private static void check(Map<String, String> actual, Map<String, String> expected, String what) {
        if (!actual.equals(expected)) {
            throw new AssertionError(what + " differs from the source: " + actual + " vs " + expected);
        }
    }

    // ------------------------------------------------------------------ base backup + restore

    private void backupFigure(List<Double> recallBackup, Map<String, Long> sizes) throws Exception {
        BaseRestorer restorer = new BaseRestorer(f.store, tools, Files.createTempDirectory("recall-bench-work"), 2);
        List<Double> recall = new ArrayList<>();
        List<Double> peer = new ArrayList<>();
        List<Double> recallRestore = new ArrayList<>();
        List<Double> peerDump = new ArrayList<>();
        List<Double> peerRestore = new ArrayList<>();
        Path dir = Files.createTempDirectory("recall-bench-dump");
        for (int i = 0; i < settings.repetitions(); i++) {
            BaseBackupManifest manifest = BaseBackupManifest.listCompleted(
                            f.store, sources.get(i).id())
                    .get(0);
            String target = f.pg.createDatabase("restore_" + tag);
            long t0 = System.nanoTime();
            try (BaseRestorer.RestoredBase base = restorer.restore(manifest, superuser(target), false)) {
                base.completeAfterReplay();
            }
            double restore = seconds(t0);
            dropDatabase(target);

            Path dump = dir.resolve("dump-" + i + ".pgdump");
            t0 = System.nanoTime();
            runTool(Workload.libpq(f, db), "pg_dump", "-Fc", "--file=" + dump, db.name());
            double dumpSeconds = seconds(t0);
            String peerTarget = f.pg.createDatabase("pgrestore_" + tag);
            Map<String, String> env = new HashMap<>(Workload.libpq(f, db));
            env.put("PGUSER", f.pg.superuser());
            env.put("PGPASSWORD", f.pg.superuserPassword());
            t0 = System.nanoTime();
            runTool(env, "pg_restore", "--dbname=" + peerTarget, dump.toString());
            double pgRestore = seconds(t0);
            dropDatabase(peerTarget);
            Files.delete(dump);

            recall.add(recallBackup.get(i) + restore);
            recallRestore.add(restore);
            peer.add(dumpSeconds + pgRestore);
            peerDump.add(dumpSeconds);
            peerRestore.add(pgRestore);
        }
        results.add(new Results.Figure(
                "base backup + base restore wall time",
                w.name(),
                "%.1f s",
                recall,
                "pg_dump -Fc + pg_restore (one job each)",
                peer,
                Results.Goal.atMost(1.0, "≤ 1.0x"),
                String.format(
                        Locale.ROOT,
                        "database of %s; Recall's backup (registration → manifest stored: publication, slot with"
                                + " exported snapshot, pg_dump into storage) %.1f s + restore (download, verify,"
                                + " pg_restore -j 2, post-data) %.1f s; pg_dump %.1f s + pg_restore %.1f s",
                        sizeText(sizes),
                        Results.median(recallBackup),
                        Results.median(recallRestore),
                        Results.median(peerDump),
                        Results.median(peerRestore))));
    }

    private void runTool(Map<String, String> env, String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(tools.find(tool).orElseThrow().path().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(tool + " failed: " + out);
        }
    }

    // ------------------------------------------------------------------ RPO

    /**
     * A capture worker streams source 0 while pgbench offers a fixed rate; for each transaction, the broker's append
     * time of its last record minus its commit time at the source (both clocks are this machine's).
     */
    private void rpoFigure() throws Exception {
        String prefix = "rpo_" + tag + ".";
        f.createTopics(prefix, Fixture.logAppendTime());
        Fixture.Source s = sources.get(0);
        f.publish(prefix, s);
        Process p = f.startWorkerProcess(prefix, "rpo-" + tag);
        Lsn loadEnd;
        long loadStart;
        try (Fixture.SlotWatch watch = f.new SlotWatch(db, s.slot())) {
            watch.awaitActive(p, Duration.ofMinutes(2));
            Thread.sleep(2000);
            loadStart = System.currentTimeMillis();
            List<String> cmd = List.of(
                    tools.find("pgbench").orElseThrow().path().toString(),
                    "--no-vacuum",
                    "--client=4",
                    "--jobs=2",
                    "--rate=" + settings.rpoRate(),
                    "--time=" + settings.rpoSeconds());
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(f.logs.resolve("pgbench-rpo.log").toFile());
            pb.environment().putAll(Workload.libpq(f, db));
            if (pb.start().waitFor() != 0) {
                throw new IllegalStateException("pgbench failed; see pgbench-rpo.log");
            }
            loadEnd = f.currentWal(db);
            watch.awaitConfirmed(loadEnd, p, Duration.ofMinutes(5));
        } finally {
            Fixture.stop(p);
        }
        Map<Long, long[]> perTransaction = new HashMap<>();
        f.readChanges(prefix, s.id(), loadEnd, t -> {
            if (t.envelope().getBody() instanceof TransactionChunk c) {
                long commit = c.getCommitTime().toEpochMilli();
                perTransaction.merge(c.getCommitLsn(), new long[] {commit, t.timestamp()}, (a, b) ->
                        new long[] {a[0], Math.max(a[1], b[1])});
            }
        });
        // the first 5 s are left out: the worker's code is still being compiled
        long warm = loadStart + 5000;
        List<Double> lag = perTransaction.values().stream()
                .filter(v -> v[0] >= warm)
                .map(v -> (double) (v[1] - v[0]))
                .sorted()
                .toList();
        double p50 = percentile(lag, 0.50);
        double p99 = percentile(lag, 0.99);
        double max = lag.isEmpty() ? Double.NaN : lag.get(lag.size() - 1);
        String note = String.format(
                Locale.ROOT,
                "pgbench --rate=%d for %d s on 4 clients (%,d transactions measured after a 5 s warm-up); commit"
                        + " time at the source → the broker's LogAppendTime of the transaction's last record;"
                        + " p50 %.0f ms, max %.0f ms",
                settings.rpoRate(),
                settings.rpoSeconds(),
                lag.size(),
                p50,
                max);
        results.add(new Results.Figure(
                "RPO p50, commit → durable in Kafka",
                w.name() + " at " + settings.rpoRate() + " tps",
                "%.0f ms",
                List.of(p50),
                null,
                List.of(),
                Results.Goal.none(),
                null));
        results.add(new Results.Figure(
                "RPO p99, commit → durable in Kafka",
                w.name() + " at " + settings.rpoRate() + " tps",
                "%.0f ms",
                List.of(p99),
                null,
                List.of(),
                Results.Goal.atMost(1000, "p99 < 1 s"),
                note));
    }

    private static double percentile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    // ------------------------------------------------------------------ helpers

    private ConnectionString superuser(String database) {
        return ConnectionString.parse(
                f.pg.connectionUri(f.pg.superuser(), f.pg.superuserPassword(), database) + "?sslmode=disable");
    }

    private void dropDatabase(String name) {
        f.pg.execute("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private Map<String, Long> sizes() throws SQLException {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        try (Connection c = f.pg.connect(db.name());
                Statement st = c.createStatement()) {
            for (String t : w.tables()) {
                try (ResultSet rs = st.executeQuery("SELECT count(*), pg_total_relation_size('" + t + "') FROM " + t)) {
                    rs.next();
                    out.put(t.substring(t.indexOf('.') + 1) + " rows", rs.getLong(1));
                    out.put(t.substring(t.indexOf('.') + 1) + " bytes", rs.getLong(2));
                }
            }
        }
        return out;
    }

    private static String sizeText(Map<String, Long> sizes) {
        List<String> parts = new ArrayList<>();
        long bytes = 0;
        for (Map.Entry<String, Long> e : sizes.entrySet()) {
            if (e.getKey().endsWith(" rows")) {
                parts.add(String.format(
                        Locale.ROOT,
                        "%s %,d",
                        e.getKey().substring(0, e.getKey().length() - 5),
                        e.getValue()));
            } else {
                bytes += e.getValue();
            }
        }
        return String.join(", ", parts)
                + String.format(Locale.ROOT, " rows (%.0f MB with indexes and TOAST)", bytes / 1e6);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
