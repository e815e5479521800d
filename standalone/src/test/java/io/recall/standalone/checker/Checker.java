package io.recall.standalone.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.recall.common.Lsn;
import io.recall.standalone.RecallUnderTest;
import io.recall.testsupport.DatabaseSnapshot;
import io.recall.testsupport.PgVersion;
import io.recall.testsupport.PostgresCluster;
import io.recall.testsupport.S3Endpoint;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One checker run: a source under {@link Workload}, captured by a standalone Recall; checkpoints at random quiesced
 * moments; faults injected while the writers run; then restores through the REST API to randomly chosen checkpoints,
 * alternating restore-point, LSN and time targets, each into a fresh database compared with the checkpoint.
 *
 * <p>Targets: a restore point as created; {@code {"lsn": <the restore point's LSN>}} with {@code inclusive: false}
 * (the LSN is where the next WAL record goes, so a commit record written right after the checkpoint could start
 * exactly there: "before it" is the checkpoint); {@code {"time": <clock_timestamp() read while quiesced>}} inclusive.
 *
 * <p>Not thread-safe: one run, on the caller's thread.
 */
final class Checker {

    private static final List<String> TARGET_KINDS = List.of("restorePoint", "lsn", "time");

    private final CheckerSettings settings;
    private final Report report;
    private PostgresCluster pg;
    private S3Endpoint s3;
    private WorkerProcesses workers;
    private final Random plan;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final Map<Integer, Checkpoint> checkpoints = new TreeMap<>();
    private String user;
    private String password;
    private String db;
    private String sourceId;
    private String slot;
    private Path dumps;
    private RecallUnderTest recall;
    private Workload workload;
    private boolean keepDatabases;

    Checker(CheckerSettings settings) {
        this.settings = settings;
        this.report = new Report(settings);
        this.plan = new Random(settings.seed());
    }

    /** What the run found so far (all of it once {@link #run} has returned). */
    Report report() {
        return report;
    }

    /** Runs the whole check; what it found is in the report (an exception means the run itself broke). */
    Report run() throws Exception {
        Instant started = Instant.now();
        System.out.printf("%nchecker seed %d (rerun: %s)%n", settings.seed(), settings.rerun());
        int n = settings.checkpoints();
        Map<Integer, Fault.Kind> faultsAt = faultPlan(n);
        List<Integer> restoreOrder = restorePlan(n, faultsAt);
        Set<Integer> killedRestores = restoreKillPlan(restoreOrder.size());
        int targetOffset = plan.nextInt(TARGET_KINDS.size());
        try {
            // a source, an S3 endpoint and worker processes of the run's own: the faults restart and kill them
            pg = PostgresCluster.start(PgVersion.SYSTEM, Map.of());
            s3 = S3Endpoint.create();
            setUpSource();
            Path runDirectory = Files.createTempDirectory("recall-checker");
            recall = RecallUnderTest.start(
                    runDirectory.resolve("data"),
                    concat(
                            RecallUnderTest.s3Storage(s3, "checker").args(),
                            // a killed walsender is retried after a second, not the default five
                            "--recall.capture.slot-retry=1s",
                            // the smallest chunk: every TOASTed value of the workload (12,800 characters) travels split
                            "--recall.capture.max-chunk-bytes=4096",
                            // every worker role in a process of its own, for the kills
                            "--recall.standalone.stream-worker=false",
                            "--recall.standalone.restore-worker=false"));
            workers =
                    new WorkerProcesses(recall.streamWorkerArguments(), recall.restoreWorkerArguments(), runDirectory);
            report.note("worker logs", runDirectory.toString());
            for (WorkerProcesses.Role role : WorkerProcesses.Role.values()) {
                workers.start(role);
            }
            registerSource();
            dumps = Files.createTempDirectory("recall-checker-rows");
            workload.start(settings.writers(), settings.schemaChanges());
            try {
                for (int i = 0; i < n; i++) {
                    long gap = settings.minGapMillis()
                            + (long) (plan.nextDouble() * (settings.maxGapMillis() - settings.minGapMillis()));
                    Fault.Kind kind = faultsAt.get(i);
                    if (kind == null) {
                        Thread.sleep(gap);
                        checkpoint(i, restoreOrder.contains(i), null);
                    } else {
                        Thread.sleep(gap / 2);
                        inject(kind, i, gap - gap / 2, restoreOrder.contains(i));
                    }
                }
            } finally {
                workload.stop();
            }
            report.workload(workload.counts(), workload.failures());
            awaitPast(ARCHIVED, currentWal(), Duration.ofSeconds(300));
            report.note("source slot (pg_stat_replication_slots)", slotStats());

            int killsLeft = 0;
            for (int k = 0; k < restoreOrder.size(); k++) {
                if (killedRestores.contains(k)) {
                    killsLeft++;
                }
                boolean killed = restoreAndCompare(
                        checkpoints.get(restoreOrder.get(k)),
                        TARGET_KINDS.get((k + targetOffset) % TARGET_KINDS.size()),
                        killsLeft > 0);
                if (killed) {
                    killsLeft--;
                }
            }
            if (killsLeft > 0) {
                report.note(
                        "restore worker kills not injected",
                        killsLeft + " (every restore they were planned for ended before the kill could land)");
            }
            keepDatabases =
                    !report.differences().isEmpty() || !report.failedRestores().isEmpty();
        } catch (Exception | AssertionError e) {
            // the run itself broke: keep what it made for inspection
            keepDatabases = true;
            report.note("run broke", e.toString());
            if (workers != null && workers.dead() != null) {
                report.note("worker process died", workers.dead());
            }
            throw e;
        } finally {
            report.elapsed(Duration.between(started, Instant.now()));
            cleanUp();
        }
        return report;
    }

    // ---------------------------------------------------------------- plan

    /** Which checkpoints' workload stretch gets a fault: never the first nor the last, kinds alternating. */
    private Map<Integer, Fault.Kind> faultPlan(int n) {
        List<Integer> places = new ArrayList<>();
        for (int i = 1; i <= n - 2; i++) {
            places.add(i);
        }
        Collections.shuffle(places, plan);
        List<Integer> chosen = new ArrayList<>(new TreeSet<>(places.subList(0, settings.faults())));
        Map<Integer, Fault.Kind> out = new TreeMap<>();
        List<Fault.Kind> kinds = new ArrayList<>(java.util.Arrays.stream(Fault.Kind.values())
                .filter(Fault.Kind::duringWorkload)
                .toList());
        // each round of kinds in an order of its own, so that no kind always follows the same one
        List<Fault.Kind> order = new ArrayList<>();
        for (int k = 0; k < chosen.size(); k++) {
            if (k % kinds.size() == 0) {
                Collections.shuffle(kinds, plan);
            }
            order.add(kinds.get(k % kinds.size()));
        }
        for (int k = 0; k < chosen.size(); k++) {
            out.put(chosen.get(k), order.get(k));
        }
        return out;
    }

    /** Which restores (positions in the restore order) have their worker killed mid-job. */
    private Set<Integer> restoreKillPlan(int restores) {
        List<Integer> positions = new ArrayList<>();
        for (int k = 0; k < restores; k++) {
            positions.add(k);
        }
        Collections.shuffle(positions, plan);
        return new TreeSet<>(positions.subList(0, Math.min(settings.restoreKills(), restores)));
    }

    /**
     * The checkpoints to restore, in the order they are restored: always the last (after every fault), the one
     * right after each fault, and after each fault that leaves a transaction open also the one after its commit; the
     * rest at random. So the count can exceed {@code restores} when there are many faults.
     */
    private List<Integer> restorePlan(int n, Map<Integer, Fault.Kind> faultsAt) {
        Set<Integer> chosen = new LinkedHashSet<>();
        chosen.add(n - 1);
        faultsAt.forEach((i, kind) -> {
            chosen.add(i);
            if (kind.leavesTransactionOpen()) {
                chosen.add(i + 1);
            }
        });
        while (chosen.size() < settings.restores()) {
            chosen.add(plan.nextInt(n));
        }
        List<Integer> order = new ArrayList<>(chosen);
        Collections.shuffle(order, plan);
        return order;
    }

    // ---------------------------------------------------------------- source and Recall

    private void setUpSource() throws Exception {
        user = "ck_" + runId;
        password = "pw-" + UUID.randomUUID();
        // a superuser's DDL is captured by event triggers, exactly; an owner's by the fallback, which the workload's
        // schema changes would make approximate (FallbackDdlIT covers that mode)
        pg.createRole(user, password, "LOGIN REPLICATION CREATEDB" + (settings.schemaChanges() ? " SUPERUSER" : ""));
        db = pg.createDatabase("cksrc");
        pg.execute(db, "ALTER DATABASE " + db + " OWNER TO " + user, "ALTER SCHEMA public OWNER TO " + user);
        workload = new Workload(pg, db, user, password, settings.seed());
        workload.create();
    }

    private void registerSource() throws Exception {
        JsonNode created = recall.call(
                "POST",
                "/api/v1/sources",
                Map.of("name", "checker-" + runId, "connectionString", pg.connectionUri(user, password, db)),
                201);
        sourceId = created.get("id").asText();
        JsonNode streaming = recall.awaitJson(
                sourcePath(),
                Duration.ofSeconds(180),
                s -> "STREAMING".equals(s.path("status").asText()));
        slot = streaming.get("slotName").asText();
    }

    private String sourcePath() {
        return "/api/v1/sources/" + sourceId;
    }

    /** The source's watermarks the checker waits on: in Kafka, and in stored segments. */
    private static final String DURABLE = "durableLsn";

    private static final String ARCHIVED = "archivedLsn";

    /** Waits until the source's {@code watermark} ({@link #DURABLE} or {@link #ARCHIVED}) is at or past {@code lsn}. */
    private void awaitPast(String watermark, Lsn lsn, Duration atMost) {
        recall.awaitJson(
                sourcePath(),
                atMost,
                s -> s.hasNonNull(watermark)
                        && !Lsn.parse(s.get(watermark).asText()).isBefore(lsn));
    }

    /**
     * {@link #awaitPast} after a fault that began at {@code t0}, as the report says it: "durable past X after N ms",
     * or "NOT recovered: ..." when the wait runs out.
     */
    private String pastAfterFault(String watermark, Lsn mark, Instant t0, Duration atMost) {
        try {
            awaitPast(watermark, mark, atMost);
        } catch (ConditionTimeoutException e) {
            return "NOT recovered: " + watermark + " did not reach " + mark + " within " + atMost.toSeconds() + " s";
        }
        return watermark.replace("Lsn", "") + " past " + mark + " after "
                + Duration.between(t0, Instant.now()).toMillis() + " ms";
    }

    // ---------------------------------------------------------------- checkpoints

    private void checkpoint(int index, boolean keepRows, String note) throws Exception {
        String name = "ck-" + runId + "-" + index;
        Checkpoint c = workload.quiesced(() -> {
            JsonNode point =
                    recall.call("POST", "/api/v1/sources/" + sourceId + "/restore-points", Map.of("name", name), 201);
            try (Connection conn = pg.connect(db)) {
                Lsn wal;
                Instant time;
                try (Statement st = conn.createStatement();
                        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text, clock_timestamp()")) {
                    rs.next();
                    wal = Lsn.parse(rs.getString(1));
                    time = rs.getObject(2, OffsetDateTime.class).toInstant();
                }
                Map<String, String> tables = DatabaseSnapshot.data(conn);
                Map<String, Long> sequences = sequences(conn);
                Path rows = keepRows ? dumpRows(conn, tables.keySet(), index) : null;
                String schema = keepRows ? DatabaseSnapshot.schema(pg, db) : null;
                // no commit of a writer can share the microsecond of the recorded time
                Thread.sleep(2);
                return new Checkpoint(
                        index,
                        name,
                        Lsn.parse(point.get("lsn").asText()),
                        wal,
                        time,
                        tables,
                        sequences,
                        rows,
                        schema,
                        note);
            }
        });
        checkpoints.put(index, c);
        report.checkpoint(c);
    }

    private static Map<String, Long> sequences(Connection c) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT format('%I.%I', schemaname, sequencename),"
                        + " coalesce(last_value, 0) FROM pg_sequences WHERE schemaname <> '_recall'")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    /** Every table's rows as text, gzipped, for the sample rows of a difference found later. */
    private Path dumpRows(Connection c, Set<String> tables, int index) throws SQLException, IOException {
        Path file = dumps.resolve("checkpoint-" + index + ".gz");
        try (DataOutputStream out = new DataOutputStream(
                        new BufferedOutputStream(new GZIPOutputStream(Files.newOutputStream(file))));
                Statement st = c.createStatement()) {
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT x::text FROM " + t + " x")) {
                    while (rs.next()) {
                        write(out, t);
                        write(out, rs.getString(1));
                    }
                }
            }
        }
        return file;
    }

    private static void write(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static List<String> rowsOf(Path file, String table) throws IOException {
        List<String> out = new ArrayList<>();
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(new GZIPInputStream(Files.newInputStream(file))))) {
            while (true) {
                String t;
                try {
                    t = read(in);
                } catch (EOFException end) {
                    return out;
                }
                String row = read(in);
                if (t.equals(table)) {
                    out.add(row);
                }
            }
        }
    }

    private static String read(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- faults

    /** What a fault does; its result describes what happened, starting with "NOT" when Recall did not recover. */
    @FunctionalInterface
    private interface Injection {
        String inject() throws Exception;
    }

    private void inject(Fault.Kind kind, int index, long restOfGap, boolean keepRows) throws Exception {
        Injection injection = switch (kind) {
            case WALSENDER_TERMINATED, OPEN_TRANSACTION_ACROSS_WALSENDER_TERMINATION -> this::terminateWalsender;
            case CAPTURE_KILLED -> this::killCapture;
            case SINK_KILLED -> this::killSink;
            case KAFKA_RESTARTED -> this::restartKafka;
            case S3_UNAVAILABLE -> this::s3Outage;
            case SOURCE_RESTARTED -> this::restartSource;
            case RESTORE_WORKER_KILLED -> throw new IllegalArgumentException(kind + " is injected while restoring");
        };
        if (!kind.leavesTransactionOpen()) {
            String detail = injection.inject();
            Thread.sleep(restOfGap);
            report.fault(new Fault(kind, index, detail, !detail.startsWith("NOT")));
            checkpoint(index, keepRows, null);
            return;
        }
        try (Connection open = workload.connect()) {
            open.setAutoCommit(false);
            String written = writeOpenTransaction(open, index);
            String detail = injection.inject();
            boolean recovered = !detail.startsWith("NOT");
            Thread.sleep(restOfGap);
            checkpoint(index, keepRows, "taken while fault (" + kind.letter() + ")'s transaction was open");
            open.commit();
            Lsn committed = currentWal();
            try {
                awaitPast(DURABLE, committed, Duration.ofSeconds(120));
            } catch (ConditionTimeoutException e) {
                recovered = false;
                detail += "; its commit was NOT durable within 120 s";
            }
            report.fault(new Fault(
                    kind, index, written + "; " + detail + "; committed after checkpoint " + index, recovered));
        }
    }

    /** Kills the capture process and starts a new one, which must stream again and get durable past the fault. */
    private String killCapture() throws Exception {
        int before = streamingWalsender();
        if (before < 0) {
            return NO_WALSENDER;
        }
        Instant t0 = Instant.now();
        long pid = workers.kill(WorkerProcesses.Role.CAPTURE);
        workers.start(WorkerProcesses.Role.CAPTURE);
        return "capture process " + pid + " killed (its walsender " + before + "), a new one started; "
                + awaitCapture(before, t0);
    }

    /** Kills the sink process and starts a new one; what was written meanwhile must be archived. */
    private String killSink() throws Exception {
        Lsn mark = currentWal();
        Instant t0 = Instant.now();
        long pid = workers.kill(WorkerProcesses.Role.SINK);
        workers.start(WorkerProcesses.Role.SINK);
        return "sink process " + pid + " killed, a new one started; "
                + pastAfterFault(ARCHIVED, mark, t0, Duration.ofSeconds(240));
    }

    /** Stops the broker for a few seconds; capture must be durable, and the sink archived, past the outage. */
    private String restartKafka() throws Exception {
        long down = 3000 + plan.nextInt(5000);
        Instant t0 = Instant.now();
        recall.stopKafka();
        long stopping = Duration.between(t0, Instant.now()).toMillis();
        Thread.sleep(down);
        Lsn mark = currentWal();
        recall.startKafka();
        String durable = pastAfterFault(DURABLE, mark, t0, Duration.ofSeconds(180));
        if (durable.startsWith("NOT")) {
            return durable;
        }
        return "broker stopped (in " + stopping + " ms) and down for " + down + " ms more, started again; " + durable
                + "; " + pastAfterFault(ARCHIVED, mark, t0, Duration.ofSeconds(240));
    }

    /** Stops S3 for a while; what was written meanwhile must be archived once it is back. */
    private String s3Outage() throws Exception {
        long down = 5000 + plan.nextInt(10_000);
        Instant t0 = Instant.now();
        s3.stop();
        Thread.sleep(down);
        Lsn mark = currentWal();
        s3.start();
        return "S3 refused connections for " + down + " ms; "
                + pastAfterFault(ARCHIVED, mark, t0, Duration.ofSeconds(240));
    }

    /** Restarts the source; writers and capture connect again, and capture must be durable past the restart. */
    private String restartSource() throws Exception {
        int before = streamingWalsender();
        if (before < 0) {
            return NO_WALSENDER;
        }
        Instant t0 = Instant.now();
        workload.sourceRestarting();
        try {
            pg.restart();
            return "source restarted in " + Duration.between(t0, Instant.now()).toMillis() + " ms; "
                    + awaitCapture(before, t0);
        } finally {
            workload.sourceBack();
        }
    }

    /** Waits until a walsender other than {@code before} streams the slot and capture is durable past now. */
    private String awaitCapture(int before, Instant t0) throws SQLException {
        int after;
        try {
            after = awaitWalsender(before, Duration.ofSeconds(180));
        } catch (ConditionTimeoutException e) {
            return "NOT recovered: no new walsender within 180 s";
        }
        long back = Duration.between(t0, Instant.now()).toMillis();
        return "walsender " + after + " streaming after " + back + " ms, "
                + pastAfterFault(DURABLE, currentWal(), t0, Duration.ofSeconds(180));
    }

    /**
     * The open transaction of fault (b): only rows of its own (a new account with its order and lines, documents
     * under a key prefix no writer picks), so no writer ever waits for it while holding the quiesce lock; more than
     * logical_decoding_work_mem, with a savepoint rolled back.
     */
    private String writeOpenTransaction(Connection c, int index) throws SQLException {
        String tag = Workload.FAULT_KEY_PREFIX + runId + "-" + index;
        long account;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO accounts (name, mood, qty, notes) VALUES (?,"
                + " 'angry', 7, repeat(md5(?), 400)) RETURNING id")) {
            ps.setString(1, tag);
            ps.setString(2, tag);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                account = rs.getLong(1);
            }
        }
        long order;
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO orders (account_id, status, total) VALUES (?, 'busy', 1.00) RETURNING id")) {
            ps.setLong(1, account);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                order = rs.getLong(1);
            }
        }
        Workload.update(
                c, "INSERT INTO order_lines SELECT ?, g, 'open ' || g, g, g FROM generate_series(1, 400) g", order);
        Workload.update(
                c,
                "INSERT INTO documents SELECT ? || '-' || g, 1, repeat(md5(g::text || ?), 400), NULL"
                        + " FROM generate_series(1, 6) g",
                tag,
                tag);
        try (Statement st = c.createStatement()) {
            st.execute("SAVEPOINT s");
            st.execute("UPDATE order_lines SET qty = -1 WHERE order_id = " + order);
            st.execute("ROLLBACK TO SAVEPOINT s");
            st.execute("SELECT nextval('tickets') FROM generate_series(1, 5)");
        }
        Workload.update(c, "UPDATE accounts SET balance = 42 WHERE id = ?", account);
        return "open transaction " + tag + " (account " + account + ", order " + order + " with 400 lines, 6"
                + " documents of 12,800 characters)";
    }

    /** Terminates the walsender streaming the source's slot and waits until capture streams again. */
    private String terminateWalsender() throws SQLException {
        Instant t0 = Instant.now();
        int before = streamingWalsender();
        if (before < 0) {
            return NO_WALSENDER;
        }
        pg.execute(db, "SELECT pg_terminate_backend(" + before + ")");
        return "walsender " + before + " terminated; " + awaitCapture(before, t0);
    }

    private static final String NO_WALSENDER = "NOT injected: the slot had no active walsender for 60 s";

    /** The pid of the walsender streaming the slot, or -1 when none was active for 60 s (no fault is injected then). */
    private int streamingWalsender() {
        try {
            return awaitWalsender(0, Duration.ofSeconds(60));
        } catch (ConditionTimeoutException e) {
            return -1;
        }
    }

    /** Waits for an active walsender on the slot other than {@code not}; returns its pid. */
    private int awaitWalsender(int not, Duration atMost) {
        int[] pid = new int[1];
        org.awaitility.Awaitility.await()
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(200))
                // the source may be restarting
                .ignoreExceptions()
                .until(() -> {
                    try (Connection c = pg.connect(db);
                            PreparedStatement ps = c.prepareStatement(
                                    "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
                        ps.setString(1, slot);
                        try (ResultSet rs = ps.executeQuery()) {
                            pid[0] = rs.next() ? rs.getInt(1) : 0;
                        }
                    }
                    return pid[0] != 0 && pid[0] != not;
                });
        return pid[0];
    }

    // ---------------------------------------------------------------- restores

    /**
     * Restores checkpoint {@code c} through REST into a new database and compares it with the checkpoint.
     *
     * @param killWorker kill the restore worker process once the job runs, and start a new one to finish it
     * @return whether the worker was killed in the middle of the job (the job then reports a second attempt)
     */
    private boolean restoreAndCompare(Checkpoint c, String kind, boolean killWorker) throws Exception {
        Map<String, Object> target = new LinkedHashMap<>();
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("sourceId", sourceId);
        switch (kind) {
            case "restorePoint" -> target.put("restorePoint", c.restorePoint());
            case "lsn" -> {
                target.put("lsn", c.restorePointLsn().toString());
                request.put("inclusive", false);
            }
            default -> {
                target.put("time", c.time().toString());
                request.put("inclusive", true);
            }
        }
        String into = "ckdst_" + c.index() + "_" + UUID.randomUUID().toString().substring(0, 6);
        request.put("target", target);
        request.put("targetConnectionString", pg.connectionUri(user, password, into));
        request.put("createDatabase", true);
        String line = "checkpoint " + c.index() + " via " + target
                + (request.containsKey("inclusive") ? " inclusive " + request.get("inclusive") : "") + " into " + into;
        Instant t0 = Instant.now();
        HttpResponse<String> accepted = recall.send("POST", "/api/v1/restores", request);
        if (accepted.statusCode() != 202) {
            report.restoreFailed(line + ": answered " + accepted.statusCode() + " " + accepted.body());
            return false;
        }
        String id = recall.json().readTree(accepted.body()).get("id").asText();
        String kill = killWorker ? killRestoreWorker(id, into) : null;
        JsonNode done;
        try {
            done = recall.awaitJson(
                    "/api/v1/restores/" + id,
                    Duration.ofSeconds(settings.restoreTimeoutSeconds()),
                    r -> Set.of("SUCCEEDED", "FAILED", "CANCELLED")
                            .contains(r.path("status").asText()));
        } catch (ConditionTimeoutException e) {
            report.restoreFailed(line + ": restore " + id + " did not end within " + settings.restoreTimeoutSeconds()
                    + " s: " + e.getMessage());
            recordKill(kill, c, false);
            return kill != null;
        }
        boolean midJob = kill != null && done.path("attempt").asInt(1) > 1;
        if (kill != null && !midJob) {
            // the job had written nothing yet or had ended: the kill proved nothing about a job in the middle
            kill = null;
        }
        if (!"SUCCEEDED".equals(done.path("status").asText())) {
            report.restoreFailed(line + ": restore " + id + " " + done);
            recordKill(kill, c, false);
            return midJob;
        }
        if (kill != null) {
            line += " (its worker killed mid-job, finished by attempt "
                    + done.path("attempt").asInt() + ")";
        }
        String where = "restore " + id + " into " + into + ", cut-off "
                + done.path("cutoffLsn").asText() + ", restored to " + done.path("restoredTo");
        List<Difference> found = compare(c, target.toString(), into, where);
        report.restored(
                line + " (" + Duration.between(t0, Instant.now()).toMillis() + " ms, "
                        + done.path("progress").path("transactionsApplied").asText() + " transactions)",
                c.tables().size(),
                c.sequences().size(),
                found);
        recordKill(kill, c, found.isEmpty());
        if (found.isEmpty()) {
            pg.execute("postgres", "DROP DATABASE " + into + " WITH (FORCE)");
        }
        return midJob;
    }

    private void recordKill(String kill, Checkpoint c, boolean equal) {
        if (kill != null) {
            report.fault(new Fault(
                    Fault.Kind.RESTORE_WORKER_KILLED,
                    c.index(),
                    kill + (equal ? "; the job finished equal to the checkpoint" : "; the job did NOT finish equal"),
                    equal));
        }
    }

    /**
     * Waits until restore {@code id} is writing its target (the job's marker in the target database's comment says
     * {@code running}: a new attempt must take over from there), kills the restore worker process a moment later and
     * starts a new one, which gets the job again once the dead member has left the consumer group. Returns what was
     * done, or null when the job ended before it was seen writing.
     */
    private String killRestoreWorker(String id, String into) throws Exception {
        String running = "recall restore " + id + " running";
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            String comment = databaseComment(into);
            if (comment != null && comment.startsWith(running)) {
                break;
            }
            if ((comment != null && comment.startsWith("recall restore " + id)) || System.nanoTime() > deadline) {
                return null;
            }
            Thread.sleep(20);
        }
        Thread.sleep(plan.nextInt(300));
        String phase = recall.json()
                .readTree(recall.send("GET", "/api/v1/restores/" + id, null).body())
                .path("progress")
                .path("phase")
                .asText();
        long pid = workers.kill(WorkerProcesses.Role.RESTORE);
        workers.start(WorkerProcesses.Role.RESTORE);
        return "restore " + id + ": worker process " + pid + " killed while writing the target (phase last reported: "
                + phase + "), a new one started";
    }

    private String databaseComment(String database) throws SQLException {
        try (Connection c = pg.connect("postgres");
                PreparedStatement ps = c.prepareStatement(
                        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private List<Difference> compare(Checkpoint c, String target, String into, String where) throws Exception {
        List<Difference> out = new ArrayList<>();
        try (Connection conn = pg.connect(into)) {
            Map<String, String> actual = DatabaseSnapshot.data(conn);
            Set<String> tables = new TreeSet<>(c.tables().keySet());
            tables.addAll(actual.keySet());
            for (String t : tables) {
                String e = c.tables().get(t);
                String a = actual.get(t);
                if (!Objects.equals(e, a)) {
                    String[] sample = sampleRows(conn, c, t, a != null);
                    out.add(new Difference(c.index(), target, t, e, a, sample[0], sample[1], where));
                }
            }
            Map<String, Long> sequences = sequences(conn);
            c.sequences().forEach((name, value) -> {
                Long restored = sequences.get(name);
                if (restored == null || restored < value) {
                    out.add(new Difference(
                            c.index(),
                            target,
                            "sequence " + name,
                            ">= " + value,
                            String.valueOf(restored),
                            null,
                            null,
                            where));
                }
            });
        }
        String schema = DatabaseSnapshot.schema(pg, into);
        if (c.schema() != null && !schema.equals(c.schema())) {
            out.add(new Difference(
                    c.index(),
                    target,
                    "(schema)",
                    "the source's pg_dump --schema-only",
                    "differs",
                    DatabaseSnapshot.diff(c.schema(), schema),
                    null,
                    where));
        }
        return out;
    }

    /**
     * Up to one row the checkpoint had and the restore lacks, and one the other way round, by {@code EXCEPT ALL} on
     * the rows' text (ALL: a key-less table's duplicates count).
     */
    private String[] sampleRows(Connection conn, Checkpoint c, String table, boolean restoredHasTable)
            throws SQLException, IOException {
        if (c.rows() == null) {
            return new String[] {"(rows not kept for this checkpoint)", null};
        }
        List<String> expected = rowsOf(c.rows(), table);
        if (!restoredHasTable) {
            return new String[] {expected.isEmpty() ? null : shorten(expected.get(0)), null};
        }
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE TEMP TABLE checker_expected (r text)");
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO checker_expected VALUES (?)")) {
                for (String r : expected) {
                    ps.setString(1, r);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            String[] out = new String[2];
            try (ResultSet rs = st.executeQuery(
                    "SELECT r FROM checker_expected EXCEPT ALL SELECT x::text FROM " + table + " x LIMIT 1")) {
                out[0] = rs.next() ? shorten(rs.getString(1)) : null;
            }
            try (ResultSet rs = st.executeQuery(
                    "SELECT x::text FROM " + table + " x EXCEPT ALL SELECT r FROM" + " checker_expected LIMIT 1")) {
                out[1] = rs.next() ? shorten(rs.getString(1)) : null;
            }
            st.execute("DROP TABLE checker_expected");
            return out;
        }
    }

    private static String shorten(String row) {
        return row.length() <= 600 ? row : row.substring(0, 600) + "... (" + row.length() + " characters)";
    }

    // ---------------------------------------------------------------- helpers

    private Lsn currentWal() throws SQLException {
        try (Connection c = pg.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    private String slotStats() {
        try (Connection c = pg.connect(db);
                PreparedStatement ps = c.prepareStatement("SELECT spill_txns, spill_bytes, stream_txns, total_txns,"
                        + " total_bytes FROM pg_stat_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return "no statistics";
                }
                return "spill_txns " + rs.getLong(1) + ", spill_bytes " + rs.getLong(2) + ", stream_txns "
                        + rs.getLong(3) + ", total_txns " + rs.getLong(4) + ", total_bytes " + rs.getLong(5);
            }
        } catch (SQLException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /**
     * Stops Recall and its worker processes and removes what the run made; a run that found something keeps its
     * source cluster (with the restored databases) running until this JVM exits, and its row dumps.
     */
    private void cleanUp() {
        List<Exception> problems = new ArrayList<>();
        if (workload != null) {
            try {
                workload.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (workers != null) {
            try {
                workers.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (recall != null) {
            try {
                recall.close();
            } catch (Exception e) {
                problems.add(e);
            }
        }
        if (s3 != null) {
            try {
                s3.close();
            } catch (RuntimeException e) {
                problems.add(e);
            }
        }
        if (pg != null && !keepDatabases) {
            try {
                pg.close();
            } catch (RuntimeException e) {
                problems.add(e);
            }
        } else if (pg != null) {
            report.note(
                    "kept for inspection until this JVM exits",
                    "source database " + db + " and the restored ones on " + pg + " (role " + user + ", data "
                            + pg.dataDirectory() + "), rows of the checkpoints in " + dumps);
        }
        if (dumps != null && !keepDatabases) {
            try (var files = Files.list(dumps)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
                Files.deleteIfExists(dumps);
            } catch (IOException e) {
                problems.add(e);
            }
        }
        if (!problems.isEmpty()) {
            report.note("clean-up problems", problems.toString());
        }
    }

    private static String[] concat(String[] first, String... more) {
        String[] out = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, out, first.length, more.length);
        return out;
    }
}
