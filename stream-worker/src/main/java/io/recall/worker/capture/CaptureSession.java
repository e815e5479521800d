package io.recall.worker.capture;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.common.Lsn;
import io.recall.common.ddl.DdlCapture;
import io.recall.common.ddl.DdlRecord;
import io.recall.common.pg.SqlIdentifiers;
import io.recall.common.storage.BlobNotFoundException;
import io.recall.common.storage.BlobStore;
import io.recall.schemas.catalog.ApproximateRange;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.BaseBackupFailed;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.DdlCaptureMode;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SchemaObjectChange;
import io.recall.schemas.catalog.SourceStatusReport;
import io.recall.schemas.change.ChangeEnvelope;
import io.recall.schemas.change.Heartbeat;
import io.recall.schemas.change.Op;
import io.recall.schemas.change.RowChange;
import io.recall.schemas.change.SequenceValue;
import io.recall.schemas.change.SequenceValues;
import io.recall.schemas.change.TransactionChunk;
import io.recall.worker.backup.BaseBackupTaker;
import io.recall.worker.capture.pgoutput.PgOutputDecoder;
import io.recall.worker.config.WorkerProperties;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Captures one source: makes sure its publication and slot exist (creating the slot with an exported snapshot and
 * taking the base backup under it), then streams pgoutput into {@code recall.changes}.
 *
 * <p><b>Acknowledgement contract (I1).</b> The slot's flushed LSN is only ever set to the end LSN of a transaction
 * whose every record Kafka has acknowledged (acks=all, idempotent producer), or to a keepalive position carried by a
 * heartbeat record Kafka has acknowledged while no transaction was open or unacknowledged. Kafka runs the callbacks
 * of one partition in send order, so "acknowledged up to" is a single moving watermark.
 *
 * <p>Threading: {@link #run()} runs on its own (virtual) thread; {@link #stop()} may be called from any thread.
 * The replication stream is used only by the running thread.
 */
final class CaptureSession implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(CaptureSession.class);

    private final SourceSpec spec;
    private final WorkerProperties.Capture settings;
    private final ChangeProducer producer;
    private final BlobStore store;
    private final BaseBackupTaker backups;
    private final String workerId;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final CaptureMetrics metrics;
    private volatile boolean stopped;
    private volatile Thread thread;
    private volatile String requestedBackup;
    private volatile String handledRequest;
    private volatile Thread backupThread;
    // the current session got as far as streaming (the next one then starts without backing off)
    private volatile boolean streamed;
    private volatile DdlCaptureMode ddlMode;
    private volatile FallbackSchema fallback;
    // the publication's tables as the source has them now (DDL capture adds new ones), in display form
    private volatile List<String> capturedTables = List.of();

    // written by Kafka callbacks, read by the stream thread
    private final AtomicReference<Lsn> acknowledged = new AtomicReference<>(Lsn.INVALID);
    private final AtomicReference<Instant> acknowledgedCommitTime = new AtomicReference<>();
    private final AtomicLong unacknowledged = new AtomicLong();
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    // one per runOnce: a callback of an earlier session's record moves nothing of the current one's
    private final AtomicLong generation = new AtomicLong();

    CaptureSession(
            SourceSpec spec,
            WorkerProperties.Capture settings,
            ChangeProducer producer,
            BlobStore store,
            BaseBackupTaker backups,
            String workerId,
            Clock clock,
            CaptureMetrics metrics) {
        this.spec = spec;
        this.metrics = metrics;
        this.settings = settings;
        this.producer = producer;
        this.store = store;
        this.backups = backups;
        this.workerId = workerId;
        this.clock = clock;
        this.requestedBackup = spec.baseBackupRequestId();
    }

    SourceSpec spec() {
        return spec;
    }

    /** Asks the session to end: it confirms what Kafka acknowledged, closes its connections and releases the slot. */
    void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Waits for {@link #run()} to return after {@link #stop()}. */
    boolean awaitStopped(long millis) throws InterruptedException {
        Thread t = thread;
        return t == null || t.join(java.time.Duration.ofMillis(millis));
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try (var m1 = MDC.putCloseable("source", spec.id().toString());
                var m2 = MDC.putCloseable("slot", spec.slotName())) {
            RetryBackoff backoff = new RetryBackoff(settings.slotRetry(), java.time.Duration.ofMinutes(1));
            while (!stopped) {
                long started = System.nanoTime();
                streamed = false;
                Exception failure = null;
                try {
                    runOnce();
                } catch (InterruptedException e) {
                    if (!stopped) {
                        failure = e;
                    }
                } catch (Exception e) {
                    failure = e;
                }
                if (stopped) {
                    break;
                }
                // a session that streamed (or ran a while) starts over quickly; quick repeated failures back off
                long wait = backoff.after(
                        streamed || System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(backoff.maxMillis()));
                switch (failure) {
                    case SlotInUseException e -> {
                        log.info("slot {} is held by another connection; retrying in {} ms", spec.slotName(), wait);
                        report(CaptureState.WAITING_FOR_SLOT, e.getMessage());
                    }
                    case InterruptedException e -> log.warn("capture interrupted", e);
                    case null -> {
                        // the session ended by itself (e.g. it was paused)
                    }
                    default -> {
                        log.warn("capture of {} failed, retrying in {} ms: {}", spec.name(), wait, failure.toString());
                        report(CaptureState.ERROR, String.valueOf(failure.getMessage()));
                    }
                }
                metrics.reconnected();
                pause(wait);
            }
        } finally {
            metrics.close();
            log.info("capture of {} stopped", spec.name());
        }
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            // stop() interrupts; the loop checks the flag
        }
    }

    private void runOnce() throws SQLException, InterruptedException, IOException {
        generation.incrementAndGet();
        sendFailure.set(null);
        try (Connection sql = connect(false);
                Connection replication = connect(true)) {
            int versionNum = Integer.parseInt(single(sql, "SHOW server_version_num"));
            String version = single(sql, "SHOW server_version");
            ddlMode = setUpDdlCapture(sql, versionNum);
            fallback = null;
            if ("FALLBACK".equals(ddlMode.getMode())) {
                FallbackSchema f = new FallbackSchema(
                        store,
                        "sources/" + spec.id() + "/capture-relations.json",
                        spec.publicationName(),
                        spec.tablePatterns());
                f.load();
                fallback = f;
            }
            ensurePublication(sql);
            capturedTables = publishedTables(sql);
            SlotRow slot = slot(sql);
            CaptureStateFile state = readState();
            Lsn start;
            if (slot != null && slot.lost) {
                gap(slot.confirmedFlush, "replication slot " + spec.slotName() + " lost its WAL (wal_status = lost)");
                dropSlot(sql);
                slot = null;
            }
            if (slot != null && (state == null || !state.ready(spec.slotName()))) {
                log.info("slot {} exists without a finished base backup behind it: starting over", spec.slotName());
                dropSlot(sql);
                slot = null;
            }
            if (slot == null) {
                if (state != null && state.ready(spec.slotName())) {
                    // the slot is gone with its confirmed position: 0 asks the coordinator to start the gap at the
                    // source's
                    // durable watermark, the last position known to be in Kafka
                    gap(Lsn.INVALID, "replication slot " + spec.slotName() + " disappeared");
                }
                start = createSlotAndBackup(
                        sql, replication, version, versionNum, state == null ? "INITIAL" : "AFTER_GAP");
            } else {
                // What Kafka acknowledged to this process on this slot is durable even where the slot does not know
                // it: PostgreSQL before 17 keeps a confirmed position in memory until the next checkpoint, so after a
                // restart of the source the slot would send those transactions again. Streaming starts at the greater
                // of the two (START_REPLICATION takes that as the first commit to send).
                Lsn durable = acknowledged.get();
                start = slot.confirmedFlush;
                if (durable.isAfter(start)) {
                    log.info(
                            "slot {} confirmed only {}; starting at {}, which Kafka acknowledged already",
                            spec.slotName(),
                            start,
                            durable);
                    start = durable;
                }
            }
            acknowledged.set(start);
            if (spec.paused()) {
                waitWhilePaused(sql);
                return;
            }
            stream(sql, replication, start, version, versionNum);
        }
    }

    // ---------------------------------------------------------------- setup

    private Connection connect(boolean replication) throws SQLException {
        Properties p = spec.connection().jdbcProperties();
        p.setProperty("ApplicationName", "recall-capture");
        p.setProperty("tcpKeepAlive", "true");
        if (replication) {
            p.setProperty("replication", "database");
            p.setProperty("preferQueryMode", "simple");
            p.setProperty("assumeMinServerVersion", "10");
        }
        return DriverManager.getConnection(spec.connection().jdbcUrl(), p);
    }

    private void ensurePublication(Connection sql) throws SQLException {
        String tables = String.join(
                ", ", spec.tables().stream().map(CaptureSession::quotedTable).toList());
        boolean exists;
        try (PreparedStatement ps = sql.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, spec.publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        boolean ddl = ddlCapturing();
        if (ddl && "TABLE".equals(ddlMode.getTransport())) {
            tables = tables + ", " + DdlCapture.LOG_TABLE; // PostgreSQL 13: the DDL records travel as its rows
        }
        try (Statement st = sql.createStatement()) {
            String pub = SqlIdentifiers.quote(spec.publicationName());
            if (!exists) {
                st.execute("CREATE PUBLICATION " + pub + " FOR TABLE " + tables
                        + " WITH (publish_via_partition_root = false)");
                log.info(
                        "created publication {} for {} tables",
                        spec.publicationName(),
                        spec.tables().size());
            } else if (!ddl) {
                st.execute("ALTER PUBLICATION " + pub + " SET TABLE " + tables);
            } else {
                // the event trigger keeps the publication up to date as tables are created and renamed: only add
                // the registered tables it lacks (ones since renamed or dropped are in it by their new name, or gone)
                List<String> wanted = new ArrayList<>(
                        spec.tables().stream().map(CaptureSession::quotedTable).toList());
                if ("TABLE".equals(ddlMode.getTransport())) {
                    wanted.add(DdlCapture.LOG_TABLE);
                }
                for (String t : wanted) {
                    try (PreparedStatement ps = sql.prepareStatement("SELECT to_regclass(?) IS NOT NULL AND NOT EXISTS"
                            + " (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid"
                            + " WHERE p.pubname = ? AND pr.prrelid = to_regclass(?))")) {
                        ps.setString(1, t);
                        ps.setString(2, spec.publicationName());
                        ps.setString(3, t);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            if (!rs.getBoolean(1)) {
                                continue;
                            }
                        }
                    }
                    st.execute("ALTER PUBLICATION " + pub + " ADD TABLE " + t);
                }
            }
        }
    }

    private boolean ddlCapturing() {
        DdlCaptureMode mode = ddlMode;
        return mode != null && "EVENT_TRIGGER".equals(mode.getMode());
    }

    /**
     * Installs Recall's DDL event triggers where the role may (a superuser) and the settings allow; otherwise says
     * why schema changes are not captured. Installing is idempotent, so every session start does it (and so repairs
     * a trigger that was dropped or an older version of it).
     */
    private DdlCaptureMode setUpDdlCapture(Connection sql, int versionNum) {
        if (settings.ddlCapture() == WorkerProperties.DdlCaptureSetting.OFF) {
            return new DdlCaptureMode(
                    "NONE",
                    null,
                    "turned off (recall.capture.ddl-capture=off): schema changes are"
                            + " not captured, so a restore across one fails or misses it; take a base backup after each"
                            + " migration");
        }
        try {
            if (!DdlCapture.canInstall(sql)) {
                return new DdlCaptureMode(
                        "FALLBACK",
                        null,
                        "the role " + spec.connection().user() + " is not a"
                                + " superuser, which event triggers need on PostgreSQL 13-17: column changes are derived from the"
                                + " stream and new or dropped tables found by polling the catalog; changes that cannot be"
                                + " rebuilt exactly mark the window approximate until a new base backup, which follows"
                                + " automatically (see the README). Register the source with a superuser role for exact"
                                + " capture of every change");
            }
            DdlCapture.install(sql, spec.publicationName(), spec.tablePatterns());
            String transport = DdlCapture.transport(versionNum);
            log.info("DDL capture by event triggers is installed ({} transport)", transport);
            return new DdlCaptureMode(
                    "EVENT_TRIGGER",
                    transport,
                    "Recall's event triggers record every schema change"
                            + " in the stream "
                            + ("MESSAGE".equals(transport)
                                    ? "as logical messages"
                                    : "as rows of " + DdlCapture.LOG_TABLE
                                            + " (PostgreSQL 13 has no logical messages)"));
        } catch (SQLException e) {
            log.warn("could not install DDL capture: {}", e.getMessage());
            return new DdlCaptureMode("NONE", null, "installing Recall's event triggers failed: " + e.getMessage());
        }
    }

    /** The tables the publication lists now, in display form; Recall's own log table is not one of them. */
    private List<String> publishedTables(Connection sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = sql.prepareStatement("SELECT n.nspname, c.relname FROM pg_publication_rel pr"
                + " JOIN pg_publication p ON p.oid = pr.prpubid JOIN pg_class c ON c.oid = pr.prrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.pubname = ? AND n.nspname <> ?"
                + " ORDER BY 1, 2")) {
            ps.setString(1, spec.publicationName());
            ps.setString(2, DdlCapture.SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(SqlIdentifiers.display(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** {@code schema.table} as TableName prints it, back to a quoted SQL name. */
    static String quotedTable(String displayName) {
        List<String> parts = splitQualified(displayName);
        return SqlIdentifiers.qualified(parts.get(0), parts.get(1));
    }

    static List<String> splitQualified(String name) {
        List<String> parts = SqlIdentifiers.splitName(name, false);
        if (parts.size() != 2) {
            throw new IllegalArgumentException("not a schema-qualified table name: " + name);
        }
        return parts;
    }

    private record SlotRow(boolean active, Lsn confirmedFlush, Lsn restartLsn, boolean lost) {}

    private SlotRow slot(Connection sql) throws SQLException {
        try (PreparedStatement ps = sql.prepareStatement(
                "SELECT active, confirmed_flush_lsn::text, restart_lsn::text, wal_status FROM pg_replication_slots"
                        + " WHERE slot_name = ?")) {
            ps.setString(1, spec.slotName());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String flush = rs.getString(2);
                String restart = rs.getString(3);
                return new SlotRow(
                        rs.getBoolean(1),
                        flush == null ? Lsn.INVALID : Lsn.parse(flush),
                        restart == null ? Lsn.INVALID : Lsn.parse(restart),
                        "lost".equals(rs.getString(4)) || restart == null);
            }
        }
    }

    private void dropSlot(Connection sql) throws SQLException {
        try (PreparedStatement ps = sql.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, spec.slotName());
            ps.execute();
        } catch (SQLException e) {
            if ("55006".equals(e.getSQLState())) {
                throw new SlotInUseException(e.getMessage());
            }
            throw e;
        }
    }

    /** What {@code capture-state.json} says, or null when there is none. */
    record CaptureStateFile(String slotName, String state, String consistentLsn, String backupId) {
        boolean ready(String slot) {
            return "READY".equals(state) && slot.equals(slotName);
        }
    }

    private CaptureStateFile readState() throws IOException {
        try (InputStream in = store.open(stateKey())) {
            return json.readValue(in, CaptureStateFile.class);
        } catch (BlobNotFoundException e) {
            return null;
        }
    }

    /**
     * Locks the captured tables on a connection of their own until the dump ends (see {@link TableLockGuard}): no
     * TRUNCATE or table rewrite can commit between the slot's consistent point and the dump's own locks.
     */
    private TableLockGuard lockCapturedTables() throws SQLException {
        return TableLockGuard.lock(
                connect(false),
                capturedTables.stream().map(CaptureSession::quotedTable).toList(),
                settings.slotCreationTimeout());
    }

    /**
     * The cluster's system identifier, read with IDENTIFY_SYSTEM before the replication connection exports a snapshot
     * (it must then stay idle), or null if the server does not answer it.
     */
    private static String identifySystem(Connection replication) {
        try (Statement st = replication.createStatement();
                ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            log.warn("IDENTIFY_SYSTEM failed: {}", e.getMessage());
            return null;
        }
    }

    private void writeState(String state, Lsn consistent, String backupId) throws IOException {
        store.put(
                stateKey(),
                json.writeValueAsBytes(new CaptureStateFile(
                        spec.slotName(), state, consistent == null ? null : consistent.toString(), backupId)));
    }

    private String stateKey() {
        return "sources/" + spec.id() + "/capture-state.json";
    }

    /**
     * Creates the slot with an exported snapshot and, while the replication connection stays idle, dumps the
     * database under it. Returns the slot's consistent point: replay begins there.
     */
    private Lsn createSlotAndBackup(
            Connection sql, Connection replication, String version, int versionNum, String reason)
            throws SQLException, IOException {
        writeState("CREATING", null, null);
        report(CaptureState.BASE_BACKUP, null);
        String systemId = identifySystem(replication);
        BaseBackupTaker.Result result;
        Lsn consistent;
        try (TableLockGuard guard = lockCapturedTables()) {
            ReplicationSlotInfo info = createSlot(sql, replication, spec.slotName(), false);
            consistent = new Lsn(info.getConsistentPoint().asLong());
            Instant snapshotTime = serverNow(sql);
            FallbackSchema tracker = fallback;
            if (tracker != null) {
                // the captured tables are locked: their definitions now are the ones at the consistent point
                tracker.initialise(sql, tracker.publishedOids(sql), true);
            }
            log.info(
                    "created slot {} at consistent point {} (snapshot {})",
                    spec.slotName(),
                    consistent,
                    info.getSnapshotName());
            List<String> others = otherTables(sql);
            result = takeFirstBackup(info, consistent, snapshotTime, version, versionNum, systemId, others);
        }
        writeState("READY", consistent, result.backupId());
        backupCompleted(result, version, reason);
        return consistent;
    }

    /** Dumps the database under a slot's exported snapshot, for the given request (null: none). */
    private BaseBackupTaker.Result dump(
            ReplicationSlotInfo info,
            Lsn consistent,
            Instant snapshotTime,
            String version,
            int versionNum,
            String systemId,
            List<String> others,
            String requestId) {
        return backups.take(
                spec.id(),
                spec.connection(),
                info.getSnapshotName(),
                consistent,
                snapshotTime,
                version,
                versionNum,
                systemId,
                capturedTables,
                others,
                requestId);
    }

    /** The dump of a slot's first backup; a failure is reported as BaseBackupFailed and rethrown. */
    private BaseBackupTaker.Result takeFirstBackup(
            ReplicationSlotInfo info,
            Lsn consistent,
            Instant snapshotTime,
            String version,
            int versionNum,
            String systemId,
            List<String> others) {
        try {
            BaseBackupTaker.Result result = dump(
                    info, consistent, snapshotTime, version, versionNum, systemId, others, spec.baseBackupRequestId());
            handledRequest = spec.baseBackupRequestId();
            return result;
        } catch (RuntimeException e) {
            publishCatalog(new BaseBackupFailed(
                    java.util.Objects.requireNonNullElseGet(
                            spec.baseBackupRequestId(),
                            () -> java.util.UUID.randomUUID().toString()),
                    String.valueOf(e.getMessage())));
            throw e;
        }
    }

    /**
     * Creates a logical slot with an exported snapshot. Creation waits for every transaction running in the whole
     * cluster to end, so a watchdog cancels it after {@code recall.capture.slot-creation-timeout} with an error that
     * says why.
     */
    private ReplicationSlotInfo createSlot(Connection sql, Connection replication, String name, boolean temporary)
            throws SQLException {
        int pid = Integer.parseInt(single(replication, "SELECT pg_backend_pid()"));
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean cancelled = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(settings.slotCreationTimeout().toMillis());
                if (!done.get()) {
                    cancelled.set(true);
                    try (PreparedStatement ps = sql.prepareStatement("SELECT pg_cancel_backend(?)")) {
                        ps.setInt(1, pid);
                        ps.execute();
                    }
                }
            } catch (InterruptedException | SQLException e) {
                // finished in time, or nothing left to cancel
            }
        });
        try {
            var builder = replication
                    .unwrap(PGConnection.class)
                    .getReplicationAPI()
                    .createReplicationSlot()
                    .logical()
                    .withSlotName(name)
                    .withOutputPlugin("pgoutput");
            if (temporary) {
                builder = builder.withTemporaryOption();
            }
            return builder.make();
        } catch (SQLException e) {
            if (cancelled.get()) {
                throw new IllegalStateException(
                        "creating replication slot " + name + " waited longer than "
                                + settings.slotCreationTimeout()
                                + " for transactions running on the server to end: look for"
                                + " long-running or idle-in-transaction sessions in pg_stat_activity, or raise"
                                + " recall.capture.slot-creation-timeout",
                        e);
            }
            throw e;
        } finally {
            done.set(true);
            watchdog.interrupt();
        }
    }

    private static Instant serverNow(Connection sql) throws SQLException {
        return Instant.parse(single(
                sql, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
    }

    /** Asks for a base backup of the streaming source; taken once per distinct request id, without stopping it. */
    void requestBaseBackup(String requestId) {
        if (!requestId.equals(handledRequest)) {
            requestedBackup = requestId;
        }
    }

    private void maybeStartOnlineBackup(String version, int versionNum) {
        String request = requestedBackup;
        Thread running = backupThread;
        if (request == null || request.equals(handledRequest) || (running != null && running.isAlive())) {
            return;
        }
        backupThread = Thread.ofVirtual()
                .name("backup-" + spec.name())
                .start(() -> onlineBackup(request, version, versionNum));
    }

    /**
     * A base backup of a source that keeps streaming: a temporary slot's exported snapshot, whose consistent point
     * is where replay of the main stream begins for this backup (commit LSNs do not depend on the slot, and the main
     * slot cannot have confirmed past the current WAL position, so the stream has no gap across it). The temporary
     * slot's connection stays idle during the dump, and the slot goes away when that connection closes.
     */
    private void onlineBackup(String requestId, String version, int versionNum) {
        try (var m = MDC.putCloseable("source", spec.id().toString())) {
            if (backups.completed(spec.id()).stream().anyMatch(b -> requestId.equals(b.requestId()))) {
                log.info("base backup request {} was already answered", requestId);
                return;
            }
            try (Connection sql = connect(false);
                    Connection replication = connect(true)) {
                String tmp = "recall_tmp_" + spec.id().objectSuffix() + "_"
                        + Integer.toHexString(requestId.hashCode() & 0x7fffffff);
                String systemId = identifySystem(replication);
                capturedTables = publishedTables(sql); // schema changes since the session began may have changed them
                TableLockGuard guard = lockCapturedTables();
                BaseBackupTaker.Result result;
                try (guard) {
                    ReplicationSlotInfo info = createSlot(sql, replication, tmp, true);
                    Lsn consistent = new Lsn(info.getConsistentPoint().asLong());
                    Instant snapshotTime = serverNow(sql);
                    log.info(
                            "online base backup for request {} under temporary slot {} at {}",
                            requestId,
                            tmp,
                            consistent);
                    result = dump(
                            info, consistent, snapshotTime, version, versionNum, systemId, otherTables(sql), requestId);
                }
                backupCompleted(result, version, requestId.startsWith("ddl-gap-") ? "AFTER_GAP" : "REQUESTED");
            }
        } catch (Exception e) {
            log.warn("base backup for request {} failed: {}", requestId, e.toString());
            publishCatalog(new BaseBackupFailed(requestId, String.valueOf(e.getMessage())));
        } finally {
            handledRequest = requestId;
            if (requestId.equals(requestedBackup)) {
                requestedBackup = null;
            }
        }
    }

    private void backupCompleted(BaseBackupTaker.Result result, String version, String reason) {
        publishCatalog(BaseBackupCompleted.newBuilder()
                .setBackupId(result.backupId())
                .setConsistentLsn(result.consistentLsn().value())
                .setSnapshotTime(result.snapshotTime())
                .setServerVersion(version)
                .setStoragePrefix(result.prefix())
                .setTotalBytes(result.totalBytes())
                .setManifestSha256(result.manifestSha256())
                .setReason(reason)
                .build());
    }

    /** Every table not captured, as pg_dump patterns: their definitions are dumped, their data is not. */
    private List<String> otherTables(Connection sql) throws SQLException {
        List<String> captured = capturedTables.stream()
                .map(CaptureSession::splitQualified)
                .map(p -> p.get(0) + "\0" + p.get(1))
                .toList();
        List<String> out = new ArrayList<>();
        try (Statement st = sql.createStatement();
                ResultSet rs = st.executeQuery("""
                        SELECT n.nspname, c.relname, c.relispartition, root.nspname, root.relname
                          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          LEFT JOIN LATERAL (SELECT pn.nspname, pc.relname
                                               FROM pg_partition_root(c.oid) r(oid)
                                               JOIN pg_class pc ON pc.oid = r.oid
                                               JOIN pg_namespace pn ON pn.oid = pc.relnamespace) root ON c.relispartition
                         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                           AND n.nspname NOT LIKE 'pg\\_%'
                           AND c.relpersistence <> 't'
                        """)) {
            while (rs.next()) {
                String key = rs.getString(1) + "\0" + rs.getString(2);
                String root = rs.getString(4) == null ? null : rs.getString(4) + "\0" + rs.getString(5);
                boolean capturedViaRoot = rs.getBoolean(3) && root != null && captured.contains(root);
                if (!captured.contains(key) && !capturedViaRoot) {
                    out.add(BaseBackupTaker.pattern(rs.getString(1)) + "." + BaseBackupTaker.pattern(rs.getString(2)));
                }
            }
        }
        return out;
    }

    private void gap(Lsn from, String reason) {
        log.warn("gap in the change stream of {}: {}", spec.name(), reason);
        publishCatalog(GapDetected.newBuilder()
                .setFromLsn(from.value())
                .setToLsn(null)
                .setReason(reason)
                .build());
    }

    private void waitWhilePaused(Connection sql) throws SQLException, InterruptedException {
        while (!stopped) {
            Long retained = retainedWal(sql);
            publishCatalog(status(CaptureState.PAUSED, null, retained, retained));
            Thread.sleep(settings.statusInterval().toMillis());
        }
    }

    private Long retainedWal(Connection sql) throws SQLException {
        try (PreparedStatement ps = sql.prepareStatement(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots"
                        + " WHERE slot_name = ?")) {
            ps.setString(1, spec.slotName());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    // ---------------------------------------------------------------- streaming

    private void stream(Connection sql, Connection replication, Lsn start, String version, int versionNum)
            throws SQLException, InterruptedException {
        var builder = replication
                .unwrap(PGConnection.class)
                .getReplicationAPI()
                .replicationStream()
                .logical()
                .withSlotName(spec.slotName())
                .withStartPosition(LogSequenceNumber.valueOf(start.value()))
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", spec.publicationName())
                .withStatusInterval((int) settings.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
        if (versionNum >= 140000) {
            builder = builder.withSlotOption("messages", "true");
        }
        PGReplicationStream stream;
        try {
            stream = builder.start();
        } catch (SQLException e) {
            if ("55006".equals(e.getSQLState())) {
                throw new SlotInUseException(e.getMessage());
            }
            throw e;
        }
        log.info("streaming {} from {}", spec.slotName(), start);
        report(CaptureState.STREAMING, null);
        streamed = true;
        TransactionAssembler assembler =
                new TransactionAssembler(spec.id(), spec.epoch(), settings.maxChunkBytes(), this::send);
        FallbackSchema fallbackSchema = fallback;
        if (fallbackSchema != null) {
            fallbackSchema.initialise(sql, fallbackSchema.publishedOids(sql), false);
            assembler.relationHook((def, commitLsn) -> {
                try {
                    return fallbackSchema.onRelation(sql, def, commitLsn);
                } catch (SQLException e) {
                    throw new IllegalStateException(
                            "reading the catalog for a schema change failed: " + e.getMessage(), e);
                }
            });
        }
        long nextPoll = System.nanoTime();
        Lsn confirmed = start;
        long nextStatus = 0;
        long nextSequences = System.nanoTime();
        long idleSleep = 1;
        try {
            while (!stopped) {
                Exception failure = sendFailure.get();
                if (failure != null) {
                    throw new IllegalStateException("Kafka did not take a record: " + failure.getMessage(), failure);
                }
                ByteBuffer message = stream.readPending();
                if (message != null) {
                    idleSleep = 1;
                    assembler.accept(PgOutputDecoder.decode(message));
                    continue;
                }
                // nothing pending: confirm, heartbeat, sequences, status
                Lsn ack = acknowledged.get();
                if (!assembler.inTransaction() && unacknowledged.get() == 0) {
                    Lsn received = new Lsn(stream.getLastReceiveLSN().asLong());
                    if (received.isAfter(ack)) {
                        sendHeartbeat(received);
                    }
                }
                if (ack.isAfter(confirmed)) {
                    LogSequenceNumber lsn = LogSequenceNumber.valueOf(ack.value());
                    stream.setFlushedLSN(lsn);
                    stream.setAppliedLSN(lsn);
                    stream.forceUpdateStatus();
                    confirmed = ack;
                }
                maybeStartOnlineBackup(version, versionNum);
                long now = System.nanoTime();
                if (fallbackSchema != null && now >= nextPoll && !assembler.inTransaction()) {
                    FallbackSchema.PollResult polled = fallbackSchema.poll(sql, clock.instant());
                    polled.events().forEach(this::publishCatalog);
                    if (polled.needsBackup()) {
                        requestBaseBackup("ddl-poll-" + Lsn.parse(single(sql, "SELECT pg_current_wal_lsn()::text")));
                    }
                    nextPoll = now + settings.catalogPollInterval().toNanos();
                }
                if (now >= nextSequences && !assembler.inTransaction()) {
                    sendSequences(sql);
                    nextSequences = now + settings.sequenceInterval().toNanos();
                }
                if (now >= nextStatus) {
                    Long lag = slotLag(sql);
                    metrics.slotLag(lag);
                    publishCatalog(status(CaptureState.STREAMING, null, null, lag));
                    nextStatus = now + settings.statusInterval().toNanos();
                }
                Thread.sleep(idleSleep);
                idleSleep = Math.min(idleSleep * 2, 200);
            }
        } finally {
            try {
                Lsn ack = acknowledged.get();
                if (ack.isAfter(confirmed)) {
                    stream.setFlushedLSN(LogSequenceNumber.valueOf(ack.value()));
                    stream.setAppliedLSN(LogSequenceNumber.valueOf(ack.value()));
                    stream.forceUpdateStatus();
                }
                stream.close();
            } catch (SQLException e) {
                log.debug("closing the replication stream: {}", e.toString());
            }
        }
    }

    private void send(TransactionAssembler.Emitted e) {
        unacknowledged.incrementAndGet();
        List<Object> schemaEvents = List.of();
        if (e.envelope().getBody() instanceof TransactionChunk chunk) {
            metrics.published(chunk.getChanges().size(), e.approximateBytes());
            schemaEvents = schemaEvents(chunk);
        }
        List<Object> afterAck = schemaEvents;
        long sentIn = generation.get();
        producer.sendChange(spec.id(), e.envelope(), (metadata, exception) -> {
            if (exception != null) {
                sendFailure.compareAndSet(null, exception);
                return;
            }
            metrics.acknowledged(e.lastOfTransaction());
            afterAck.forEach(this::schemaEvent);
            // after a failed send nothing later counts (callbacks run in send order): the session starts over below it
            if (e.lastOfTransaction() && counts(sentIn)) {
                acknowledged.accumulateAndGet(e.endLsn(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                acknowledgedCommitTime.set(((TransactionChunk) e.envelope().getBody()).getCommitTime());
            }
            unacknowledged.decrementAndGet();
        });
    }

    /**
     * Whether an acknowledgement of a record sent in session {@code sentIn} moves {@link #acknowledged}: only in the
     * current session, and only while no send of it has failed (callbacks run in send order, so nothing after a
     * failure is known durable with everything before it).
     */
    private boolean counts(long sentIn) {
        return sentIn == generation.get() && sendFailure.get() == null;
    }

    /** A failed DDL capture, at the commit of the transaction that carried the failure. */
    private record DdlGap(long commitLsn, String reason) {}

    /** The catalog events a chunk's DDL records call for: schema history entries and gaps. */
    private List<Object> schemaEvents(TransactionChunk chunk) {
        List<Object> out = new ArrayList<>();
        for (RowChange c : chunk.getChanges()) {
            if (c.getOp() != Op.MESSAGE || c.getMessagePrefix() == null || c.getMessageContent() == null) {
                continue;
            }
            String prefix = c.getMessagePrefix();
            if (!prefix.equals(DdlCapture.DDL_PREFIX) && !prefix.equals(DdlCapture.GAP_PREFIX)) {
                continue;
            }
            ByteBuffer b = c.getMessageContent().duplicate();
            byte[] content = new byte[b.remaining()];
            b.get(content);
            if (prefix.equals(DdlCapture.GAP_PREFIX)) {
                String reason = new String(content, java.nio.charset.StandardCharsets.UTF_8);
                out.add(new DdlGap(
                        chunk.getCommitLsn(),
                        "Recall's DDL trigger failed, so a schema change is not" + " recorded: " + reason));
                out.add(SchemaChanged.newBuilder()
                        .setCommitLsn(chunk.getCommitLsn())
                        .setCommitTime(chunk.getCommitTime())
                        .setXid(chunk.getXid())
                        .setOrdinal(-1) // the failure itself, not a recorded command
                        .setCommandTag(gapTag(content))
                        .setObjects(List.of())
                        .setApproximate(true)
                        .build());
                continue;
            }
            try {
                DdlRecord r = DdlRecord.parse(content);
                if (r.approximate() != null) {
                    out.add(new ApproximateRange(
                            chunk.getCommitLsn(),
                            null,
                            r.tag() + " of "
                                    + r.objects().stream()
                                            .map(DdlRecord.DdlObject::identity)
                                            .toList() + ": " + r.approximate()));
                }
                out.add(r);
                out.add(SchemaChanged.newBuilder()
                        .setCommitLsn(chunk.getCommitLsn())
                        .setCommitTime(chunk.getCommitTime())
                        .setXid(chunk.getXid())
                        .setOrdinal(r.ordinal())
                        .setCommandTag(r.tag())
                        .setObjects(r.objects().stream()
                                .map(o -> new SchemaObjectChange(o.type(), o.identity(), o.action(), o.replayable()))
                                .toList())
                        .setApproximate(r.approximate() != null)
                        .build());
            } catch (IllegalArgumentException ex) {
                log.warn("unreadable DDL record at {}: {}", new Lsn(chunk.getCommitLsn()), ex.getMessage());
            }
        }
        return out;
    }

    private String gapTag(byte[] content) {
        try {
            return json.readTree(content).path("tag").asText("DDL");
        } catch (IOException e) {
            return "DDL";
        }
    }

    /** Runs once the chunk carrying it is durable in Kafka. */
    private void schemaEvent(Object event) {
        switch (event) {
            case DdlGap gap -> {
                gap(new Lsn(gap.commitLsn()), gap.reason());
                // a new base backup starts a window that needs no schema change from before it
                requestBaseBackup("ddl-gap-" + new Lsn(gap.commitLsn()));
            }
            case DdlRecord record -> {
                FallbackSchema tracker = fallback;
                if (tracker != null) {
                    tracker.acknowledged(record);
                }
            }
            case ApproximateRange range -> {
                publishCatalog(range);
                requestBaseBackup("ddl-fallback-" + new Lsn(range.getFromLsn()));
            }
            default -> publishCatalog(event);
        }
    }

    private void sendHeartbeat(Lsn walEnd) {
        unacknowledged.incrementAndGet();
        ChangeEnvelope heartbeat = ChangeEnvelope.newBuilder()
                .setSourceId(spec.id().toString())
                .setCaptureEpoch(spec.epoch())
                .setBody(new Heartbeat(walEnd.value(), clock.instant()))
                .build();
        long sentIn = generation.get();
        producer.sendChange(spec.id(), heartbeat, (metadata, exception) -> {
            if (exception != null) {
                sendFailure.compareAndSet(null, exception);
                return;
            }
            if (counts(sentIn)) {
                acknowledged.accumulateAndGet(walEnd, (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
            metrics.acknowledged(false);
            unacknowledged.decrementAndGet();
        });
    }

    /** Reads the LSN first, then every sequence: each value is at least its value at that LSN. */
    private void sendSequences(Connection sql) throws SQLException {
        Lsn lsn = Lsn.parse(single(sql, "SELECT pg_current_wal_lsn()::text"));
        List<SequenceValue> values = new ArrayList<>();
        try (Statement st = sql.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT schemaname, sequencename, COALESCE(last_value, start_value), last_value IS NOT NULL"
                                + " FROM pg_sequences WHERE has_sequence_privilege(format('%I.%I', schemaname,"
                                + " sequencename), 'SELECT') AND schemaname <> '" + DdlCapture.SCHEMA + "'"
                                + " ORDER BY 1, 2")) {
            while (rs.next()) {
                values.add(new SequenceValue(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getBoolean(4)));
            }
        }
        ChangeEnvelope record = ChangeEnvelope.newBuilder()
                .setSourceId(spec.id().toString())
                .setCaptureEpoch(spec.epoch())
                .setBody(new SequenceValues(lsn.value(), clock.instant(), values))
                .build();
        producer.sendChange(spec.id(), record, (metadata, exception) -> {
            if (exception != null) {
                sendFailure.compareAndSet(null, exception);
            }
        });
    }

    // ---------------------------------------------------------------- reports

    private void report(CaptureState state, String error) {
        publishCatalog(status(state, error, null, null));
    }

    /** Bytes of WAL between the server's position and what the slot has confirmed. */
    private Long slotLag(Connection sql) throws SQLException {
        try (PreparedStatement ps = sql.prepareStatement(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots"
                        + " WHERE slot_name = ?")) {
            ps.setString(1, spec.slotName());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    private SourceStatusReport status(CaptureState state, String error, Long retained, Long lag) {
        Lsn durable = acknowledged.get();
        Instant commitTime = acknowledgedCommitTime.get();
        return SourceStatusReport.newBuilder()
                .setState(state)
                .setDurableLsn(durable.isValid() ? durable.value() : null)
                .setDurableCommitTime(commitTime)
                .setSlotLagBytes(lag)
                .setRetainedWalBytes(retained)
                .setLastError(error)
                .setDdlCapture(ddlMode)
                .build();
    }

    private void publishCatalog(Object body) {
        producer.sendCatalog(spec.id(), workerId, clock.instant(), body);
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Another connection streams the slot: not a failure, wait and retry (the slot is the fence). */
    static final class SlotInUseException extends RuntimeException {
        SlotInUseException(String message) {
            super(message);
        }
    }
}
