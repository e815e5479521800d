package io.recall.restore.job;

import static io.recall.restore.WorkFiles.deleteRecursively;

import io.recall.common.Lsn;
import io.recall.common.backup.BaseBackupManifest;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.RecallException;
import io.recall.common.pg.ConnectionString;
import io.recall.common.pg.SqlIdentifiers;
import io.recall.restore.base.BaseRestorer;
import io.recall.restore.replay.CommitHeader;
import io.recall.restore.replay.Cutoff;
import io.recall.restore.replay.CutoffResolver;
import io.recall.restore.replay.RecoveryWindow;
import io.recall.restore.replay.ReplayEngine;
import io.recall.restore.replay.ReplayResult;
import io.recall.restore.replay.RestoreTarget;
import io.recall.restore.replay.TargetNotRestorableException;
import io.recall.restore.replay.TransactionReader;
import io.recall.schemas.restore.RestorePhase;
import io.recall.schemas.sink.SealRequest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one restore job on its own (virtual) thread and reports it with {@link JobEvents}.
 *
 * <h2>Order</h2>
 *
 * <ol>
 *   <li>VALIDATING: read the request and the target's credentials; create the target database if asked; refuse a
 *       target that is the source itself; take the target's restore lock ({@link TargetDatabase}), waiting while
 *       another worker holds it; read the target's {@link JobMarker}: a job that already ended reports its end again
 *       and does nothing else, one that was running (its worker died) starts again with the next attempt; read what
 *       storage holds of the source, wait for the sinks when the target lies past the stored end of the stream,
 *       resolve the cut-off and choose the base backup; check that the target is empty (or empty it when asked to
 *       overwrite, or when it is this job's own unfinished work); only then mark the target as this job's;
 *   <li>RESTORING_BASE: {@link BaseRestorer} (checksums, then {@code pg_restore} of what replay needs);
 *   <li>REPLAYING: the segments from the backup's consistent point to the cut-off, prefetched, through
 *       {@link ReplayEngine}, with progress about every {@code progress-interval};
 *   <li>SEQUENCES: {@link SequenceSetter};
 *   <li>VERIFYING: foreign keys, triggers and the rest the base restore held back, the replay's progress table
 *       dropped, every captured table present;
 *   <li>DONE: the marker says succeeded; SUCCEEDED with the last applied transaction.
 * </ol>
 *
 * A failure reports FAILED (and marks the target failed if it was accepted); a cancel reports CANCELLED. A job stopped
 * because its partition moved or the worker shuts down reports nothing and is not committed: the next owner runs it.
 *
 * <p>{@link #outcome()} may be read by other threads once the job's thread has ended.
 */
final class RestoreJob implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(RestoreJob.class);

    /** How often a waiting job asks the sinks again to seal the source's open segment. */
    private static final Duration SEAL_REPEAT = Duration.ofSeconds(5);

    /** How often a waiting job looks at storage again. */
    private static final Duration STORAGE_POLL = Duration.ofMillis(500);

    /** What to do with the job's Kafka record when the job's thread ends. */
    enum Outcome {
        /** Its end is reported: commit past it. */
        COMMIT,
        /** Not finished here (stopped, or its end could not be reported): leave it for the next owner. */
        KEEP
    }

    private final JobServices services;
    private final String restoreId;
    private final JobRequest request;
    private final InvalidRequestException invalid;
    /** The request's {@code tables}, or null for every captured table; set when the job starts. */
    private TableSelection selection;

    private final JobControl control;
    private final JobEvents events;
    private volatile Outcome outcome = Outcome.KEEP;
    private volatile RestorePhase phase = RestorePhase.VALIDATING;
    private boolean registrationChecked;

    /**
     * @param request the request, or null when it could not be read ({@code invalid} says why): the job then only
     *     reports FAILED
     */
    RestoreJob(
            JobServices services,
            String restoreId,
            String sourceId,
            JobRequest request,
            InvalidRequestException invalid,
            JobControl control) {
        this.services = services;
        this.restoreId = restoreId;
        this.request = request;
        this.invalid = invalid;
        this.control = control;
        this.events = new JobEvents(
                services.producer(),
                services.topics().restoreEvents(),
                services.clock(),
                services.worker(),
                restoreId,
                sourceId,
                services.meters());
    }

    Outcome outcome() {
        return outcome;
    }

    JobControl control() {
        return control;
    }

    @Override
    public void run() {
        try (MDC.MDCCloseable ignored = MDC.putCloseable("restore", restoreId)) {
            control.runsOn(Thread.currentThread());
            outcome = execute();
        }
    }

    // ---- the job

    private Outcome execute() {
        TargetDatabase db = null;
        boolean accepted = false;
        try {
            if (invalid != null) {
                throw invalid;
            }
            events.running(RestorePhase.VALIDATING, "validating " + request);
            selection = request.tables() == null ? null : TableSelection.parse(request.tables());
            ConnectionString target = credentials(request.targetConnectionString());
            log.info("restore {} into {}", request, target.masked());
            if (request.createDatabase() && TargetDatabase.createIfMissing(target, applicationName())) {
                events.running(RestorePhase.VALIDATING, "created the target database " + target.database());
            }
            db = TargetDatabase.open(target, applicationName());
            TargetDatabase.Identity identity = db.identity();
            refuseSource(
                    identity,
                    target,
                    request.sourceSystemIdentifier(),
                    request.sourceDatabase(),
                    "the restore request");
            lock(db, target);
            boolean resumed = false;
            var marker = db.marker().filter(m -> m.isFor(restoreId));
            if (marker.isPresent()) {
                JobMarker m = marker.get();
                switch (m.state()) {
                    case SUCCEEDED -> {
                        events.succeeded(
                                m.restoredToLsn(),
                                m.restoredToTime(),
                                "already succeeded: the target holds this job's restore to " + m.restoredToLsn());
                        return Outcome.COMMIT;
                    }
                    case FAILED -> {
                        events.failed(RestorePhase.DONE, m.error());
                        return Outcome.COMMIT;
                    }
                    case CANCELLED -> {
                        events.cancelled(RestorePhase.DONE, "earlier, on this target");
                        return Outcome.COMMIT;
                    }
                    case RUNNING -> {
                        resumed = true;
                        events.attempt(m.attempt() + 1);
                        events.running(
                                RestorePhase.VALIDATING,
                                "attempt " + m.attempt() + " stopped before its end (its worker died or its partition"
                                        + " moved): starting again on an emptied target");
                    }
                }
            }
            Plan plan = plan();
            refuseSource(
                    identity,
                    target,
                    plan.backup().systemIdentifier(),
                    plan.backup().database(),
                    "base backup " + plan.backup().backupId());
            String contents = BaseRestorer.contents(target);
            if (contents != null) {
                if (!resumed && !request.overwrite()) {
                    throw BaseRestorer.notEmpty(target, contents);
                }
                control.check();
                BaseRestorer.empty(target);
            }
            db.writeMarker(JobMarker.running(restoreId, events.attempt()));
            accepted = true;
            Restored restored = restore(plan, target);
            db.writeMarker(JobMarker.succeeded(restoreId, restored.lsn(), restored.time()));
            events.succeeded(restored.lsn(), restored.time(), restored.summary());
            return Outcome.COMMIT;
        } catch (Throwable t) {
            boolean wasInterrupted = Thread.interrupted(); // reporting needs a thread that is not interrupted
            JobControl.Stop stop = control.stopped();
            if (stop == JobControl.Stop.REVOKED || stop == JobControl.Stop.SHUTDOWN) {
                log.info(
                        "restore stopped in {} ({}): the next owner of its partition runs it", phase, control.reason());
                return Outcome.KEEP;
            }
            try {
                if (stop == JobControl.Stop.CANCELLED) {
                    if (accepted) {
                        mark(db, JobMarker.cancelled(restoreId));
                    }
                    events.cancelled(phase, control.reason());
                    return Outcome.COMMIT;
                }
                if (t instanceof RecallException && !wasInterrupted) {
                    log.warn("restore failed in {}: {}", phase, t.getMessage()); // says what is wrong, in words
                } else {
                    log.error("restore failed in {}", phase, t);
                }
                String error = describe(t);
                if (accepted) {
                    mark(db, JobMarker.failed(restoreId, error));
                }
                events.failed(phase, error);
                return Outcome.COMMIT;
            } catch (RuntimeException e) {
                log.error("cannot report the end of the restore; it will be delivered again", e);
                return Outcome.KEEP;
            }
        } finally {
            if (db != null) {
                db.close();
            }
        }
    }

    /** Marks the target, on the lock's connection if it still works, else on a new one. */
    private void mark(TargetDatabase db, JobMarker marker) {
        try {
            db.writeMarker(marker);
        } catch (RecallException e) {
            try (TargetDatabase fresh =
                    TargetDatabase.open(credentials(request.targetConnectionString()), applicationName())) {
                fresh.writeMarker(marker);
            }
        }
    }

    private ConnectionString credentials(String text) {
        String clear = text;
        if (text != null && text.startsWith("v1:")) {
            if (services.cipher() == null) {
                throw new InvalidRequestException("the target connection string is encrypted, but this worker has no"
                        + " keyring: set recall.secrets.keys and recall.secrets.active-key-id to the coordinator's");
            }
            try {
                clear = services.cipher().decrypt(text);
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new InvalidRequestException("cannot decrypt the target connection string: " + e.getMessage());
            }
        }
        return ConnectionString.parse(clear);
    }

    private String applicationName() {
        return "recall-restore " + restoreId;
    }

    /**
     * Refuses a target in the cluster and database {@code where} names as the source. When the target allows neither
     * way to read its system identifier, compares host, port and database with the source's registration instead.
     */
    private void refuseSource(
            TargetDatabase.Identity target,
            ConnectionString connection,
            String sourceSystem,
            String sourceDatabase,
            String where) {
        if (target.systemIdentifier() == null) {
            refuseRegisteredSource(target, connection);
            return;
        }
        if (sourceSystem == null || !sourceSystem.equals(target.systemIdentifier())) {
            return;
        }
        if (sourceDatabase == null || sourceDatabase.equals(target.database())) {
            throw new InvalidRequestException("the target database " + target.database() + " on " + connection.host()
                    + ":" + connection.port() + " is the source itself (cluster " + target.systemIdentifier()
                    + (sourceDatabase == null ? ", and " + where + " does not name the source database" : "")
                    + ", as " + where + " says): restore into another database");
        }
    }

    private void refuseRegisteredSource(TargetDatabase.Identity target, ConnectionString connection) {
        if (registrationChecked) {
            return;
        }
        registrationChecked = true;
        var registered = SourceAddress.lookup(
                services.plainConsumers().get(), services.topics().sources(), request.source());
        if (registered.isEmpty()) {
            log.warn(
                    "cannot tell whether the target is the source itself: {} may read neither pg_control_system() nor"
                            + " IDENTIFY_SYSTEM, and source {} is not registered on {}",
                    connection.user(),
                    request.source(),
                    services.topics().sources());
            return;
        }
        var s = registered.get();
        if (s.getHost().equalsIgnoreCase(connection.host())
                && s.getPort() == connection.port()
                && s.getDatabase().equals(target.database())) {
            throw new InvalidRequestException("the target database " + target.database() + " on " + connection.host()
                    + ":" + connection.port() + " is the source itself (the source is registered at that host, port"
                    + " and database): restore into another database");
        }
        log.info("the target's system identifier is not readable; it is not the source by host, port and database");
    }

    private void lock(TargetDatabase db, ConnectionString target) {
        long lastReport = 0;
        while (!db.tryLock()) {
            if (lastReport == 0
                    || System.nanoTime() - lastReport > Duration.ofSeconds(30).toNanos()) {
                events.running(
                        RestorePhase.VALIDATING,
                        "waiting for the target lock: another restore is writing database " + target.database() + " on "
                                + target.host() + ":" + target.port() + " (retrying every "
                                + services.settings().lockRetry().toSeconds() + " s)");
                lastReport = System.nanoTime();
            }
            control.sleep(services.settings().lockRetry());
        }
    }

    // ---- validating

    private record Plan(StoredSource stored, RecoveryWindow window, Cutoff cutoff, BaseBackupManifest backup) {}

    private Plan plan() {
        StoredSource stored = new StoredSource(services.store(), request.source()).refresh();
        RestoreTarget target = request.target(stored::restorePoint);
        RecoveryWindow window = stored.window();
        Lsn needed = neededEnd(target);
        if (needed != null && !reached(window, needed, target)) {
            window = awaitStored(stored, needed, target, window);
        } else if (needed == null && !(target instanceof RestoreTarget.AtLsn)) {
            // latest, time or xid written straight to the topic, with no durable watermark to wait for
            window = awaitLatestSeal(stored);
        }
        control.check();
        Cutoff cutoff;
        if (target instanceof RestoreTarget.AtTime || target instanceof RestoreTarget.AtXid) {
            events.running(RestorePhase.VALIDATING, "reading the commit times and xids of the window " + window);
            try (SegmentStream scan = new SegmentStream(
                    services.store(),
                    stored.segmentsFrom(window.start()),
                    workDirectory().resolve("scan"),
                    services.settings().prefetchSegments(),
                    control)) {
                cutoff = CutoffResolver.resolve(target, window, TransactionReader.headers(scan.chunks(window.end())));
            }
        } else {
            cutoff = CutoffResolver.resolve(target, window, Collections.<CommitHeader>emptyIterator());
        }
        BaseBackupManifest backup = CutoffResolver.chooseBaseBackup(cutoff, stored.backups(), stored.gaps());
        if (selection != null && backup.tables().stream().noneMatch(selection::matches)) {
            throw new InvalidRequestException("'tables' (" + selection + ") matches none of the captured tables of"
                    + " base backup " + backup.backupId() + ": " + backup.tables());
        }
        events.baseBackup(backup.backupId());
        events.cutoff(cutoff.applyBelow());
        events.running(
                RestorePhase.VALIDATING,
                "restoring to " + describe(target) + ": transactions below " + cutoff.applyBelow()
                        + " from base backup "
                        + backup.backupId() + " (consistent point " + backup.consistentLsn() + ") in the window "
                        + window);
        return new Plan(stored, window, cutoff, backup);
    }

    /** The end the stored stream must reach for the target, or null when the stored end is taken as it is. */
    private Lsn neededEnd(RestoreTarget target) {
        return switch (target) {
            case RestoreTarget.AtLsn t ->
                t.inclusive() && t.lsn().value() != -1L ? new Lsn(t.lsn().value() + 1) : t.lsn();
            case RestoreTarget.AtRestorePoint p -> p.lsn();
            case RestoreTarget.Latest l -> request.latestLsn();
            case RestoreTarget.AtTime t -> request.latestLsn();
            case RestoreTarget.AtXid x -> request.latestLsn();
        };
    }

    /**
     * Whether the stored stream reaches what the target needs: {@code needed}, and for a time target also a server
     * time past the target (the resolver cannot stop a time target at a stored end that is not later than it).
     */
    private static boolean reached(RecoveryWindow window, Lsn needed, RestoreTarget target) {
        if (window.end().isBefore(needed)) {
            return false;
        }
        return !(target instanceof RestoreTarget.AtTime t) || t.time().isBefore(window.endTime());
    }

    /** Asks the sinks to seal the source's open segment until storage reaches {@code needed}, or fails. */
    private RecoveryWindow awaitStored(StoredSource stored, Lsn needed, RestoreTarget target, RecoveryWindow window) {
        long deadline = System.nanoTime() + services.settings().sealWait().toNanos();
        long lastSeal = 0;
        while (true) {
            if (lastSeal == 0 || System.nanoTime() - lastSeal >= SEAL_REPEAT.toNanos()) {
                requestSeal();
                lastSeal = System.nanoTime();
                events.running(
                        RestorePhase.VALIDATING,
                        "waiting for the sinks to store source " + request.source() + "'s stream up to " + needed
                                + " (stored up to " + window.end() + "); asked them to seal its open segment");
            }
            control.sleep(STORAGE_POLL);
            window = stored.refresh().window();
            if (reached(window, needed, target)) {
                return window;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new TargetNotRestorableException(
                        "the target needs source " + request.source() + "'s transactions up to " + needed
                                + ", but storage holds its stream only up to " + window.end() + ", and the sinks"
                                + " stored nothing reaching it within "
                                + services.settings().sealWait()
                                + " of being asked to seal: is a stream worker with the sink role running?",
                        window);
            }
        }
    }

    /** For {@code latest} without an LSN: asks for a seal and waits a short while for a new segment. */
    private RecoveryWindow awaitLatestSeal(StoredSource stored) {
        Set<String> before =
                stored.segments().stream().map(StoredSource.StoredSegment::key).collect(Collectors.toSet());
        requestSeal();
        events.running(
                RestorePhase.VALIDATING,
                "asked the sinks to seal source " + request.source() + "'s open segment; waiting up to "
                        + services.settings().latestSealWait() + " for it");
        long deadline = System.nanoTime() + services.settings().latestSealWait().toNanos();
        while (System.nanoTime() - deadline < 0) {
            control.sleep(STORAGE_POLL);
            if (stored.refresh().segments().stream().anyMatch(s -> !before.contains(s.key()))) {
                break;
            }
        }
        return stored.window();
    }

    private void requestSeal() {
        SealRequest seal = SealRequest.newBuilder()
                .setSourceId(request.source().toString())
                .setRequestId(restoreId + "/" + System.currentTimeMillis())
                .setRequestedAt(services.clock().instant())
                .build();
        JobEvents.sendRecord(
                services.producer(),
                services.topics().sinkControl(),
                request.source().toString(),
                JobEvents.encode(seal::toByteBuffer),
                false);
    }

    // ---- restoring

    private record Restored(Lsn lsn, Instant time, String summary) {}

    private Restored restore(Plan plan, ConnectionString target) throws SQLException {
        BaseBackupManifest backup = plan.backup();
        Cutoff cutoff = plan.cutoff();
        Path work = workDirectory();
        try {
            phase = RestorePhase.RESTORING_BASE;
            long dumpBytes = backup.files().stream()
                    .mapToLong(BaseBackupManifest.FileEntry::size)
                    .sum();
            events.running(
                    RestorePhase.RESTORING_BASE,
                    "restoring base backup " + backup.backupId() + " (" + dumpBytes + " bytes, consistent point "
                            + backup.consistentLsn() + ")");
            try (BaseRestorer.RestoredBase base = services.restorer().restoreInto(backup, target)) {
                control.check();
                phase = RestorePhase.REPLAYING;
                try (SegmentStream stream = new SegmentStream(
                                services.store(),
                                plan.stored().segmentsFrom(backup.consistentPoint()),
                                work.resolve("segments"),
                                services.settings().prefetchSegments(),
                                control);
                        Connection c = TargetDatabase.connect(target, applicationName());
                        AutoCloseable cancel = control.onStop(() -> cancelStatement(c))) {
                    Replayed replayed = replay(stream, c, backup, cutoff);
                    phase = RestorePhase.SEQUENCES;
                    events.running(RestorePhase.SEQUENCES, "setting sequences");
                    var snapshot = stream.sequencesFor(cutoff.applyBelow());
                    c.setAutoCommit(true);
                    int moved = SequenceSetter.apply(c, snapshot.orElse(null));
                    events.running(
                            RestorePhase.SEQUENCES,
                            "set " + moved + " sequences "
                                    + snapshot.map(s -> "from the snapshot at " + new Lsn(s.getLsn()))
                                            .orElse("(no snapshot stored)")
                                    + ", none below a value in a column it owns");
                    control.check();
                    phase = RestorePhase.VERIFYING;
                    events.running(
                            RestorePhase.VERIFYING,
                            "creating what the base restore held back (foreign keys, triggers, rules, policies)");
                    ReplayEngine.completeAfterReplay(c, base::completeAfterReplay);
                    List<String> expected = expectedTables(c, backup, selection);
                    ReplayEngine.dropProgress(c);
                    if (selection != null) {
                        dropUnselected(c, selection);
                    }
                    int tables = verify(c, expected);
                    return new Restored(
                            replayed.lsn(),
                            replayed.time(),
                            "restored to " + replayed.lsn() + " (" + replayed.time() + "): base backup "
                                    + backup.backupId() + ", " + replayed.transactions() + " transactions replayed, "
                                    + (replayed.schemaChanges() > 0
                                            ? replayed.schemaChanges() + " schema changes applied, "
                                            : "")
                                    + tables + " captured tables verified"
                                    + (replayed.approximateRepairs() > 0
                                            ? "; APPROXIMATE: " + replayed.approximateRepairs() + " tables or columns"
                                                    + " were made from the stream's description across a schema"
                                                    + " change the capture saw without event triggers"
                                            : ""));
                } catch (Exception e) {
                    if (e instanceof RuntimeException r) {
                        throw r;
                    }
                    if (e instanceof SQLException s) {
                        throw s;
                    }
                    throw new RecallException(e.getMessage(), e);
                }
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private record Replayed(Lsn lsn, Instant time, long transactions, long schemaChanges, long approximateRepairs) {}

    private Replayed replay(SegmentStream stream, Connection c, BaseBackupManifest backup, Cutoff cutoff)
            throws SQLException {
        Lsn start = backup.consistentPoint();
        int segments = stream.countBelow(cutoff.applyBelow());
        long bytes = stream.bytesBelow(cutoff.applyBelow());
        ReplayEngine engine = new ReplayEngine(c, services.settings().replay().settings());
        long started = System.nanoTime();
        String what = "replaying " + segments + " segments (" + bytes + " bytes) from " + start + " to below "
                + cutoff.applyBelow();
        events.progress(RestorePhase.REPLAYING, what, progress(stream, engine, segments, bytes, started));
        Thread reporter = Thread.ofVirtual().start(() -> {
            try (MDC.MDCCloseable ignored = MDC.putCloseable("restore", restoreId)) {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(services.settings().progressInterval());
                    events.progress(RestorePhase.REPLAYING, what, progress(stream, engine, segments, bytes, started));
                }
            } catch (InterruptedException e) {
                // the replay ended
            }
        });
        ReplayResult result;
        try {
            result = engine.replay(stream.chunks(cutoff.applyBelow()), start, cutoff);
        } finally {
            reporter.interrupt();
            joinQuietly(reporter);
        }
        control.check();
        Lsn lsn = result.restoredTo().map(CommitHeader::commitLsn).orElse(start);
        Instant time = result.restoredTo().map(CommitHeader::commitTime).orElse(backup.snapshotTime());
        events.progress(
                RestorePhase.REPLAYING,
                "replayed " + result.transactions() + " transactions (" + result.changes() + " changes) in "
                        + result.elapsed().toMillis() + " ms; restored to " + lsn,
                progress(stream, engine, segments, bytes, started));
        return new Replayed(lsn, time, result.transactions(), result.schemaChanges(), result.approximateRepairs());
    }

    private static JobEvents.Progress progress(
            SegmentStream stream, ReplayEngine engine, int segments, long bytes, long startedNanos) {
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        long rows = engine.changesSoFar();
        long read = Math.min(stream.bytesRead(), bytes);
        Double rate = seconds > 0.5 ? rows / seconds : null;
        Long eta = seconds > 0.5 && read > 0 ? (long) Math.ceil((bytes - read) / (read / seconds)) : null;
        return new JobEvents.Progress(
                segments,
                Math.min(stream.segmentsDone(), segments),
                bytes,
                read,
                engine.transactionsSoFar(),
                rows,
                rate,
                eta);
    }

    /** Every captured table of the backup exists in the target, and replay's own schema is gone. */
    /**
     * The captured tables of the base backup that the selection keeps, under the names replayed schema changes gave
     * them; the ones a schema change dropped are not expected.
     */
    private static List<String> expectedTables(Connection c, BaseBackupManifest backup, TableSelection selection)
            throws SQLException {
        List<String> expected = new ArrayList<>();
        for (String t : backup.tables()) {
            if (selection != null && !selection.matches(t)) {
                continue;
            }
            List<String> parts = SqlIdentifiers.splitName(t, false);
            Optional<List<String>> now = parts.size() == 2
                    ? ReplayEngine.tableAfterSchemaChanges(c, parts.get(0), parts.get(1))
                    : Optional.of(parts);
            now.ifPresent(n -> expected.add(n.size() == 2 ? SqlIdentifiers.qualified(n.get(0), n.get(1)) : t));
        }
        return expected;
    }

    private static int verify(Connection c, List<String> expected) throws SQLException {
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            for (String table : expected) {
                ps.setString(1, table);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        missing.add(table);
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new RecallException("after the restore, captured tables are missing from the target: " + missing);
        }
        try (PreparedStatement ps =
                c.prepareStatement("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = ?"); ) {
            ps.setString(1, ReplayEngine.PROGRESS_SCHEMA);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) != 0) {
                    throw new RecallException("replay's schema " + ReplayEngine.PROGRESS_SCHEMA
                            + " is still in the target after the restore");
                }
            }
        }
        return expected.size();
    }

    /**
     * Restoring only some tables: the base restore and replay brought every table back (foreign keys and triggers
     * need them until the end), so every table the selection does not name is dropped now, with what depends on it
     * ({@code CASCADE}: a foreign key from a kept table to a dropped one goes too). Partitions go with their root.
     */
    private static void dropUnselected(Connection c, TableSelection selection) throws SQLException {
        List<String> drop = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                        SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
                          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                         ORDER BY 1, 2""");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (!selection.matches(rs.getString(1), rs.getString(2))) {
                    drop.add(SqlIdentifiers.qualified(rs.getString(1), rs.getString(2)));
                }
            }
        }
        if (drop.isEmpty()) {
            return;
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (var st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + String.join(", ", drop) + " CASCADE");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
        log.info("dropped {} table(s) the restore's 'tables' ({}) does not name", drop.size(), selection);
    }

    // ---- helpers

    private Path workDirectory() {
        return services.settings().workDir().resolve("job-" + restoreId + "-" + events.attempt());
    }

    private static void cancelStatement(Connection c) {
        try {
            c.unwrap(PGConnection.class).cancelQuery();
        } catch (SQLException e) {
            log.debug("cannot cancel the target's running statement: {}", e.toString());
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(RestoreTarget target) {
        return switch (target) {
            case RestoreTarget.AtLsn t -> "lsn " + t.lsn() + (t.inclusive() ? "" : " (exclusive)");
            case RestoreTarget.AtTime t -> "time " + t.time() + (t.inclusive() ? "" : " (exclusive)");
            case RestoreTarget.AtXid x -> "xid " + x.xid() + (x.inclusive() ? "" : " (exclusive)");
            case RestoreTarget.AtRestorePoint p -> "restore point '" + p.name() + "' at " + p.lsn();
            case RestoreTarget.Latest l -> "the latest stored transaction";
        };
    }

    /** The error as an operator reads it: the message, and where it came from when the message alone is unclear. */
    private static String describe(Throwable t) {
        String m = t.getMessage();
        if (t instanceof RecallException && m != null) {
            return m;
        }
        if (t instanceof SQLException s) {
            return "the target database answered: " + m
                    + (s.getSQLState() == null ? "" : " (SQLSTATE " + s.getSQLState() + ")");
        }
        return m == null ? t.toString() : t.getClass().getSimpleName() + ": " + m;
    }
}
