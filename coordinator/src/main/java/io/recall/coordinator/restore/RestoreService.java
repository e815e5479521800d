package io.recall.coordinator.restore;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.errors.ConflictException;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import io.recall.common.pg.ConnectionString;
import io.recall.coordinator.catalog.RecoveryWindow;
import io.recall.coordinator.catalog.RecoveryWindowView;
import io.recall.coordinator.catalog.RecoveryWindows;
import io.recall.coordinator.restore.RestoreApi.CreateRestore;
import io.recall.coordinator.restore.RestoreApi.RestoreView;
import io.recall.coordinator.restore.RestoreRefusedException.Reason;
import io.recall.coordinator.restore.RestoreTarget.AtLsn;
import io.recall.coordinator.restore.RestoreTarget.AtRestorePoint;
import io.recall.coordinator.restore.RestoreTarget.AtTime;
import io.recall.coordinator.restore.RestoreTarget.AtXid;
import io.recall.coordinator.restore.RestoreTarget.Latest;
import io.recall.coordinator.source.Source;
import io.recall.coordinator.source.SourceService;
import io.recall.coordinator.source.TablePattern;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Accepts, lists and cancels restore jobs. The coordinator decides here whether a job may run (its target lies in the
 * source's recovery window, its target database is not the source) and records whether its restore replays across a
 * schema change only approximately ({@link Approximation}); restore workers carry it out from
 * {@code recall.restore-jobs}.
 *
 * <p><b>Ordering contract.</b> A job is committed to the metadata database ({@code QUEUED}) before its request is
 * written to Kafka, and the request answers only once Kafka has acknowledged it. If Kafka does not, the job is marked
 * {@code FAILED} with that error and the request answers 503: no worker can run a job whose request never reached the
 * topic, so the client simply submits it again. The target connection string is sealed with the same
 * {@link SecretCipher} as source passwords before it is stored or published (I5). Thread-safe.
 */
@Service
public class RestoreService {

    private static final Logger log = LoggerFactory.getLogger(RestoreService.class);
    static final int MAX_LIST = 1000;

    private final RestoreRepository repository;
    private final SourceService sources;
    private final RecoveryWindows windows;
    private final RestorePoints points;
    private final SecretCipher cipher;
    private final RestoreCommands commands;
    private final RestoreMetrics metrics;
    private final TransactionTemplate tx;

    /**
     * What a latest, time or xid job waits to see stored: the source's WAL position now when it can be read (every
     * transaction committed before the request lies below it), else the durable watermark the catalog knows.
     */
    private Lsn latestPosition(Source source, Lsn durable) {
        return points.sourcePosition(source).filter(now -> now.isAfter(durable)).orElse(durable);
    }

    RestoreService(
            RestoreRepository repository,
            SourceService sources,
            RecoveryWindows windows,
            RestorePoints points,
            SecretCipher cipher,
            RestoreCommands commands,
            RestoreMetrics metrics,
            TransactionTemplate tx) {
        this.repository = repository;
        this.sources = sources;
        this.windows = windows;
        this.points = points;
        this.cipher = cipher;
        this.commands = commands;
        this.metrics = metrics;
        this.tx = tx;
    }

    /**
     * Validates a request, records the job and publishes it.
     *
     * @param requestedBy the API token's name; null when authentication is off
     * @throws InvalidRequestException the request is malformed (400)
     * @throws NotFoundException the source does not exist (404)
     * @throws RestoreRefusedException the target cannot be restored as asked (422)
     * @throws RestoreUnavailableException Kafka did not take the job, which is now {@code FAILED} (503)
     */
    public RestoreView create(CreateRestore request, String requestedBy) {
        if (request == null) {
            throw new InvalidRequestException(
                    "request body is missing: send {\"sourceId\", \"target\"," + " \"targetConnectionString\"}");
        }
        SourceId sourceId = sourceId(request.sourceId());
        RestoreTarget target = RestoreTarget.parse(request.target());
        ConnectionString connection = targetConnection(request.targetConnectionString());
        List<String> tables = tables(request.tables());
        RestoreMode mode = RestoreMode.parse(request.mode());
        boolean inclusive = request.inclusive() == null || request.inclusive();
        boolean createDatabase = request.createDatabase() != null && request.createDatabase();

        Source source = sources.source(sourceId);
        Lsn restorePointLsn = null;
        if (target instanceof AtRestorePoint p) {
            restorePointLsn = points.find(sourceId, p.name())
                    .map(v -> Lsn.parse(v.lsn()))
                    .orElseThrow(() -> new RestoreRefusedException(
                            Reason.UNKNOWN_RESTORE_POINT,
                            "source '" + source.name() + "' has no restore point named '" + p.name() + "': GET"
                                    + " /api/v1/sources/" + sourceId + "/restore-points lists them",
                            null));
        }
        if (sameDatabase(source.connection(), connection)) {
            throw new RestoreRefusedException(
                    Reason.TARGET_IS_SOURCE,
                    "restores never target the source itself: " + connection.masked() + " is the database of source '"
                            + source.name() + "'; restore into another database (createDatabase: true makes one)",
                    null);
        }
        RecoveryWindow window = windows.of(sourceId);
        TargetAdmission admission = new TargetAdmission(
                window,
                source.durableLsn(),
                source.durableCommitTime() == null
                        ? null
                        : source.durableCommitTime().toInstant());
        Optional<String> refusal = switch (target) {
            case AtLsn t -> admission.refuseLsn(t.lsn(), "target LSN");
            case AtTime t -> admission.refuseTime(t.time());
            case AtXid t -> admission.refuseXid();
            case AtRestorePoint t -> admission.refuseLsn(restorePointLsn, "restore point '" + t.name() + "' at");
            case Latest t -> admission.refuseLatest();
        };
        if (refusal.isPresent()) {
            throw new RestoreRefusedException(Reason.OUTSIDE_WINDOW, refusal.get(), RecoveryWindowView.of(window));
        }
        Approximation approximation = switch (target) {
            case AtLsn t -> admission.approximationAt(t.lsn(), "target LSN");
            case AtTime t -> admission.approximationAt(t.time());
            case AtXid t -> Approximation.NOT_JUDGED;
            case AtRestorePoint t -> admission.approximationAt(restorePointLsn, "restore point '" + t.name() + "' at");
            case Latest t -> admission.approximationOfLatest();
        };

        RequestedRestore job = new RequestedRestore(
                UUID.randomUUID(),
                sourceId,
                target.asJson(),
                inclusive,
                // what the worker waits to see stored: latest, time and xid targets are resolved against the stream
                // as it stands, so it must hold everything that was durable when the job was accepted
                target instanceof Latest || target instanceof AtTime || target instanceof AtXid
                        ? latestPosition(source, admission.latestLsn())
                        : null,
                restorePointLsn,
                approximation,
                cipher.encrypt(request.targetConnectionString().strip()),
                connection.masked(),
                mode,
                createDatabase,
                tables,
                RestoreRepository.VIA_API,
                RestoreRepository.now(),
                requestedBy);
        try (var ignored = MDC.putCloseable("job", job.id().toString());
                var ignored2 = MDC.putCloseable("source", sourceId.toString())) {
            repository.insert(job);
            metrics.entered(RestoreStatus.QUEUED);
            try {
                commands.request(
                        job,
                        target,
                        source.systemIdentifier(),
                        source.connection().database());
            } catch (RestoreUnavailableException e) {
                String error = e.getMessage() + "; the job was never handed to a restore worker: submit it again";
                repository.markFailed(job.id(), error);
                metrics.entered(RestoreStatus.FAILED);
                throw new RestoreUnavailableException(job.id(), error, e.getCause());
            }
            log.info(
                    "restore {} of source '{}' to {} into {} queued{}",
                    job.id(),
                    source.name(),
                    job.target(),
                    job.targetDisplay(),
                    Boolean.TRUE.equals(approximation.approximate()) ? "; " + approximation.reason() : "");
            return get(job.id());
        }
    }

    /** Newest first, optionally of one source and in one status. */
    public List<RestoreView> list(String sourceId, String status, int limit) {
        if (limit < 1 || limit > MAX_LIST) {
            throw new InvalidRequestException("limit must be between 1 and " + MAX_LIST);
        }
        return repository.list(
                sourceId == null || sourceId.isBlank() ? null : sourceId(sourceId), status(status), limit);
    }

    /** @throws NotFoundException the job does not exist */
    public RestoreView get(UUID id) {
        return repository.find(id).orElseThrow(() -> new NotFoundException("restore", id.toString()));
    }

    /**
     * Asks for a job to stop: records the request, publishes a {@code RestoreCancel} (a worker running the job stops
     * it and reports {@code CANCELLED}), and ends a job no worker has started yet as {@code CANCELLED} at once.
     *
     * @throws NotFoundException the job does not exist
     * @throws ConflictException the job has already ended
     * @throws RestoreUnavailableException Kafka did not take the cancellation; the request is recorded, ask again
     */
    public RestoreView cancel(UUID id, String requestedBy) {
        try (var ignored = MDC.putCloseable("job", id.toString())) {
            tx.executeWithoutResult(st -> {
                var row = repository.lock(id).orElseThrow(() -> new NotFoundException("restore", id.toString()));
                RestoreStatus status = RestoreStatus.valueOf(row.getStatus());
                if (status.isTerminal()) {
                    throw new ConflictException("restore " + id + " has already ended (" + status + " at "
                            + row.getFinishedAt() + "): there is nothing to cancel");
                }
                repository.markCancelRequested(id);
            });
            try {
                commands.cancel(
                        id,
                        requestedBy,
                        "cancelled through the API" + (requestedBy == null ? "" : " by " + requestedBy));
            } catch (RestoreUnavailableException e) {
                throw new RestoreUnavailableException(
                        id,
                        e.getMessage() + "; the cancellation is recorded but no restore worker has been told: cancel"
                                + " again once Kafka is reachable",
                        e.getCause());
            }
            if (repository.cancelIfQueued(id)) {
                metrics.entered(RestoreStatus.CANCELLED);
                log.info("restore {} cancelled before a worker started it", id);
            } else {
                log.info("cancellation of restore {} sent to the restore workers", id);
            }
            return get(id);
        }
    }

    private static SourceId sourceId(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidRequestException("sourceId is required: the id of the source to restore from");
        }
        try {
            return SourceId.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("sourceId '" + text + "' is not a source id (a UUID)");
        }
    }

    private static RestoreStatus status(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return RestoreStatus.valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(
                    "status '" + text + "' is not one of " + Arrays.toString(RestoreStatus.values()));
        }
    }

    /** Parses the target connection string; its errors read "targetConnectionString ...". */
    private static ConnectionString targetConnection(String text) {
        if (text == null) {
            throw new InvalidRequestException("targetConnectionString is required: the database to restore into, e.g."
                    + " postgresql://user:password@host:5432/restored");
        }
        try {
            return ConnectionString.parse(text);
        } catch (InvalidRequestException e) {
            // "connectionString ..." becomes "targetConnectionString ..."
            throw new InvalidRequestException("targetC" + e.getMessage().substring(1), e);
        }
    }

    private static List<String> tables(List<String> tables) {
        if (tables == null) {
            return null;
        }
        if (tables.isEmpty()) {
            throw new InvalidRequestException("tables is empty: leave it out to restore every captured table");
        }
        for (String t : tables) {
            TablePattern.parse(t);
        }
        return tables.stream().map(String::strip).toList();
    }

    /**
     * Whether two connection strings name the same database: same port and database name, and the same host by name
     * or by any address the names resolve to (so {@code localhost} and {@code 127.0.0.1} match). The restore worker
     * checks the target's system identifier as well, for routes this cannot see (proxies, other DNS names).
     */
    static boolean sameDatabase(ConnectionString a, ConnectionString b) {
        if (a.port() != b.port() || !a.database().equals(b.database())) {
            return false;
        }
        if (a.host().equalsIgnoreCase(b.host())) {
            return true;
        }
        try {
            List<InetAddress> left = Arrays.asList(InetAddress.getAllByName(a.host()));
            return Arrays.stream(InetAddress.getAllByName(b.host())).anyMatch(left::contains);
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
