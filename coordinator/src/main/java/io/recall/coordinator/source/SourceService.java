package io.recall.coordinator.source;

import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.errors.ConflictException;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import io.recall.common.errors.SourceConnectionException;
import io.recall.common.pg.ConnectionString;
import io.recall.coordinator.catalog.BaseBackupView;
import io.recall.coordinator.catalog.BaseBackups;
import io.recall.coordinator.catalog.SourcePurger;
import io.recall.coordinator.config.RecallProperties;
import io.recall.coordinator.source.SourceApi.BaseBackupRequested;
import io.recall.coordinator.source.SourceApi.CaptureControl;
import io.recall.coordinator.source.SourceApi.Deletion;
import io.recall.coordinator.source.SourceApi.RegisterSource;
import io.recall.coordinator.source.SourceApi.SourceView;
import io.recall.coordinator.source.probe.CapabilityProbe;
import io.recall.coordinator.source.probe.CheckStatus;
import io.recall.coordinator.source.probe.ProbeFailedException;
import io.recall.coordinator.source.probe.ProbeReport;
import io.recall.coordinator.source.probe.ProbeResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Registers, lists, re-probes, pauses, resumes and removes sources, and takes base-backup requests. The probe runs
 * before anything is stored, and outside any metadata transaction (it talks to a remote database).
 *
 * <p>Every change of a source's desired state is committed to the metadata database first (its epoch bumped), then
 * published to {@code recall.sources} through {@link DesiredStatePublisher}, and the request answers only once Kafka
 * has acknowledged it. If Kafka does not, the request fails with {@link KafkaUnavailableException} (503) while the
 * change stays committed, and {@link DesiredStateReconciler} publishes it when Kafka is back. Thread-safe.
 */
@Service
public class SourceService {

    private static final Logger log = LoggerFactory.getLogger(SourceService.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final SourceRepository repository;
    private final CapabilityProbe probe;
    private final SecretCipher cipher;
    private final SourceObjects objects;
    private final TransactionTemplate tx;
    private final DesiredStatePublisher publisher;
    private final BaseBackups baseBackups;
    private final SourcePurger purger;
    private final Duration slotReleaseTimeout;

    SourceService(
            SourceRepository repository,
            CapabilityProbe probe,
            SecretCipher cipher,
            SourceObjects objects,
            TransactionTemplate tx,
            DesiredStatePublisher publisher,
            BaseBackups baseBackups,
            SourcePurger purger,
            RecallProperties properties) {
        this.repository = repository;
        this.probe = probe;
        this.cipher = cipher;
        this.objects = objects;
        this.tx = tx;
        this.publisher = publisher;
        this.baseBackups = baseBackups;
        this.purger = purger;
        this.slotReleaseTimeout = properties.desiredState().slotReleaseTimeout();
    }

    /**
     * Probes the source and, unless a check fails, stores it with its password encrypted and publishes its desired
     * state (epoch 1), so that a capture worker takes it up.
     *
     * @throws ProbeFailedException a blocking check failed; nothing was stored
     * @throws SourceConnectionException the source could not be reached or refused the credentials
     * @throws KafkaUnavailableException the source is stored, but Kafka did not acknowledge its desired state yet
     */
    public SourceView register(RegisterSource request) {
        if (request == null) {
            throw new InvalidRequestException("request body is missing");
        }
        String name = request.name() == null ? "" : request.name().strip();
        if (!NAME.matcher(name).matches()) {
            throw new InvalidRequestException("name must be 1-128 characters of letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit");
        }
        if (request.connectionString() == null) {
            throw new InvalidRequestException(
                    "connectionString is required, e.g. postgresql://user:password@host:5432/db");
        }
        ConnectionString connection = ConnectionString.parse(request.connectionString());
        TableSelection selection = TableSelection.of(request.tables(), request.excludeTables());
        String schedule = validateSchedule(request.baseBackupSchedule());
        if (repository.nameExists(name)) {
            throw new ConflictException("a source named '" + name + "' already exists");
        }
        SourceId id = SourceId.random();
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            ProbeResult result = probe.probe(connection, selection, null);
            if (result.report().outcome() == CheckStatus.FAIL) {
                log.info(
                        "registration of '{}' refused: {}",
                        name,
                        result.report().failures().stream().map(c -> c.id()).toList());
                throw new ProbeFailedException(result.report());
            }
            var now = OffsetDateTime.now(ZoneOffset.UTC);
            String objectName = "recall_" + id.objectSuffix();
            Source source = new Source(
                    id,
                    name,
                    connection.withPassword(null),
                    connection.password() == null ? null : cipher.encrypt(connection.password()),
                    selection,
                    result.facts().tables(),
                    objectName,
                    objectName,
                    schedule,
                    validateRetention(request.retention()),
                    result.facts().systemIdentifier(),
                    result.facts().serverVersionNum(),
                    result.facts().ddlCaptureMode(),
                    null,
                    SourceStatus.BASE_BACKUP,
                    "registered; waiting for a capture worker to take the first base backup",
                    false,
                    1,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    now,
                    now);
            tx.executeWithoutResult(s -> {
                if (repository.nameExists(name)) {
                    throw new ConflictException("a source named '" + name + "' already exists");
                }
                repository.insert(source);
                repository.insertReport(id, result.report());
            });
            log.info(
                    "registered source '{}' ({} tables, outcome {})",
                    name,
                    source.tables().size(),
                    result.report().outcome());
            publisher.publish(id);
            return SourceView.of(require(id), result.report());
        }
    }

    private static String validateSchedule(String cron) {
        if (cron == null || cron.isBlank()) {
            return null;
        }
        try {
            CronExpression.parse(cron.strip());
            return cron.strip();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("baseBackupSchedule '" + cron + "' is not a cron expression: "
                    + e.getMessage() + " (six fields, seconds first, e.g. \"0 0 3 * * *\" for 03:00 daily)");
        }
    }

    private static java.util.Map<String, Object> validateRetention(java.util.Map<String, Object> retention) {
        if (retention == null) {
            return null;
        }
        for (var e : retention.entrySet()) {
            if (!java.util.Set.of("days", "baseBackups").contains(e.getKey())) {
                throw new InvalidRequestException("retention." + e.getKey() + " is unknown: use {\"days\": N} (keep a"
                        + " recovery window of N days) and/or {\"baseBackups\": N} (keep at least N base backups)");
            }
            if (!(e.getValue() instanceof Integer n) || n < 1) {
                throw new InvalidRequestException("retention." + e.getKey() + " must be a positive whole number");
            }
        }
        return retention;
    }

    public List<SourceView> list() {
        return repository.list().stream().map(s -> SourceView.of(s, null)).toList();
    }

    public SourceView get(SourceId id) {
        Source s = require(id);
        return SourceView.of(s, repository.latestReport(id).orElse(null));
    }

    /**
     * Runs the probe again with the stored credentials; records the report and any change in the table list. A
     * changed table list is a new desired state: it is published before this returns.
     */
    public ProbeReport reprobe(SourceId id) {
        Source s = requireNotDeleting(id);
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            ProbeResult result = probe.probe(credentials(s), s.selection(), s.slotName());
            Boolean changed = tx.execute(st -> {
                Source current = lockNotDeleting(id);
                boolean tablesChanged = !result.facts().tables().equals(current.tables());
                repository.insertReport(id, result.report());
                if (result.report().outcome() == CheckStatus.FAIL) {
                    return false;
                }
                repository.updateFromProbe(
                        id,
                        result.facts().tables(),
                        result.facts().systemIdentifier(),
                        result.facts().serverVersionNum(),
                        result.facts().ddlCaptureMode(),
                        tablesChanged);
                return tablesChanged;
            });
            if (Boolean.TRUE.equals(changed)) {
                log.info(
                        "the tables of '{}' changed: {}",
                        s.name(),
                        result.facts().tables());
                publisher.publish(id);
            }
            return result.report();
        }
    }

    /**
     * Stops capture but keeps the replication slot, so no change is lost: the source retains WAL for the slot until
     * capture resumes. Pausing a paused source changes nothing.
     */
    public CaptureControl pause(SourceId id) {
        return setPaused(id, true);
    }

    /** Resumes capture from where the slot stopped. Resuming a running source changes nothing. */
    public CaptureControl resume(SourceId id) {
        return setPaused(id, false);
    }

    private CaptureControl setPaused(SourceId id, boolean paused) {
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            Source before = tx.execute(st -> {
                Source s = lockNotDeleting(id);
                if (s.paused() != paused) {
                    repository.setPaused(
                            id,
                            paused,
                            paused
                                    ? "pause requested: the capture worker stops streaming; the slot stays"
                                    : "resume requested: a capture worker resumes streaming from the slot");
                }
                return s;
            });
            long epoch = publisher.publish(id);
            if (before.paused() != paused) {
                log.info("{} source '{}' (epoch {})", paused ? "paused" : "resumed", before.name(), epoch);
            }
            String message = paused
                    ? "capture of '" + before.name() + "' is paused. Replication slot " + before.slotName()
                            + " is kept on the source, so no change is lost, and the source retains WAL for it until"
                            + " you resume (or delete) the source: watch its disk space and slotLagBytes."
                    : "capture of '" + before.name() + "' resumes from replication slot " + before.slotName()
                            + "; the WAL retained while paused is released as the worker catches up.";
            return new CaptureControl(id.toString(), paused, epoch, before.slotName(), true, paused, message);
        }
    }

    /**
     * Asks for a base backup now: a new request id in the desired state (a capture worker takes one backup per
     * distinct id), recorded as a {@code REQUESTED} base backup.
     */
    public BaseBackupRequested requestBaseBackup(SourceId id) {
        UUID requestId = UUID.randomUUID();
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            tx.executeWithoutResult(st -> {
                Source s = lockNotDeleting(id);
                if (s.paused()) {
                    throw new ConflictException("source '" + s.name() + "' is paused: a base backup needs a running"
                            + " capture; resume it (POST /api/v1/sources/" + id + "/resume), then ask again");
                }
                repository.requestBaseBackup(id, requestId);
                baseBackups.recordRequest(id, requestId, "REQUESTED", OffsetDateTime.now(ZoneOffset.UTC));
            });
            long epoch = publisher.publish(id);
            log.info("base backup {} requested (epoch {})", requestId, epoch);
            return new BaseBackupRequested(
                    requestId.toString(),
                    id.toString(),
                    "REQUESTED",
                    epoch,
                    "a capture worker takes the base backup; GET /api/v1/sources/" + id
                            + "/base-backups shows its progress");
        }
    }

    /** Sources with a base-backup schedule (not being deleted), and how far each has been followed. */
    public List<BaseBackupSchedule> baseBackupSchedules() {
        return repository.schedules();
    }

    /**
     * Requests the base backup of a schedule's fire time, the way {@link #requestBaseBackup} does (a new request id in
     * the desired state, a {@code REQUESTED} row), with reason {@code SCHEDULED}. At most once per fire time, whichever
     * coordinators call it and however often: the fire time is recorded as handled in the same transaction, under the
     * source's row lock, and the request id is derived from the source and the fire time. A paused source skips the
     * fire time (capture would not take the backup; it is logged). A published desired state that Kafka does not
     * acknowledge in time stays committed and is published by the {@link DesiredStateReconciler}.
     *
     * @return the request id, or empty if the fire time was already handled, skipped, or the source is gone
     */
    public Optional<UUID> requestScheduledBaseBackup(SourceId id, OffsetDateTime fireTime) {
        UUID requestId =
                UUID.nameUUIDFromBytes((id + "/scheduled/" + fireTime.toInstant()).getBytes(StandardCharsets.UTF_8));
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            Boolean requested = tx.execute(st -> {
                Source s = repository.lock(id).orElse(null);
                if (s == null || s.deleting() || !repository.markScheduleHandled(id, fireTime)) {
                    return false;
                }
                if (s.paused()) {
                    log.info("source '{}' is paused: skipping its scheduled base backup of {}", s.name(), fireTime);
                    return false;
                }
                repository.requestBaseBackup(id, requestId);
                baseBackups.recordRequest(id, requestId, "SCHEDULED", OffsetDateTime.now(ZoneOffset.UTC));
                return true;
            });
            if (!Boolean.TRUE.equals(requested)) {
                return Optional.empty();
            }
            try {
                long epoch = publisher.publish(id);
                log.info("scheduled base backup {} of {} requested (epoch {})", requestId, fireTime, epoch);
            } catch (KafkaUnavailableException e) {
                log.warn(
                        "scheduled base backup {} requested; its desired state is published once Kafka is back: {}",
                        requestId,
                        e.getMessage());
            }
            return Optional.of(requestId);
        }
    }

    /** The source's base backups, newest first. */
    public List<BaseBackupView> baseBackups(SourceId id) {
        require(id);
        return baseBackups.list(id);
    }

    /**
     * Deletes a source in three steps, each of which a repeated {@code DELETE} resumes: (1) mark it as being deleted
     * and write its tombstone to {@code recall.sources}, so the capture worker stops and releases the slot; (2) drop
     * the slot and publication on the source, waiting up to {@code recall.desired-state.slot-release-timeout} while
     * the slot is still in use; (3) with {@code purge}, delete everything stored for it (base backups, segments, gap
     * markers; see {@link SourcePurger}); (4) forget the source. With {@code force}, a source that cannot be reached
     * is forgotten anyway and the response warns that its slot may still retain WAL. Without {@code purge}, stored
     * backups and segments are kept.
     *
     * @throws KafkaUnavailableException the tombstone was not acknowledged; the source stays marked for deletion
     * @throws SlotInUseException the slot stayed in use; the source stays marked for deletion
     * @throws io.recall.common.storage.StorageException storage did not answer during the purge; the source stays
     *     marked for deletion, and a repeated {@code DELETE} resumes the purge
     */
    public Deletion delete(SourceId id, boolean force, boolean purge) {
        Source s = require(id);
        List<String> warnings = new ArrayList<>();
        boolean slot = false;
        boolean publication = false;
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            tx.executeWithoutResult(st -> {
                Source current = repository.lock(id).orElseThrow(() -> new NotFoundException("source", id.toString()));
                if (!current.deleting()) {
                    repository.markDeleting(id, OffsetDateTime.now(ZoneOffset.UTC));
                }
            });
            publisher.publish(id);
            try {
                SourceObjects.Removed removed = dropWhenReleased(s);
                slot = removed.slot();
                publication = removed.publication();
            } catch (SourceConnectionException e) {
                if (!force) {
                    throw e;
                }
                warnings.add("the source could not be reached (" + e.getMessage() + "): if replication slot "
                        + s.slotName() + " exists there it keeps retaining WAL; drop it with SELECT"
                        + " pg_drop_replication_slot('" + s.slotName() + "'); and DROP PUBLICATION "
                        + s.publicationName() + ";");
            }
            Long purged = purge ? purger.purge(id) : null;
            repository.delete(id);
            log.info(
                    "deleted source '{}' (slot dropped: {}, publication dropped: {}, stored objects deleted: {})",
                    s.name(),
                    slot,
                    publication,
                    purge ? purged : "none, kept");
            return new Deletion(id.toString(), slot, publication, purged, warnings);
        }
    }

    /**
     * Drops the slot and publication, retrying while the slot is still streamed: after the tombstone the capture
     * worker needs a moment to stop its session and close the replication connection.
     */
    private SourceObjects.Removed dropWhenReleased(Source s) {
        long deadline = System.nanoTime() + slotReleaseTimeout.toNanos();
        while (true) {
            try {
                return objects.drop(credentials(s), s.slotName(), s.publicationName());
            } catch (SlotInUseException e) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    String pid = e.activePid() == null ? "another process" : "process " + e.activePid();
                    throw new SlotInUseException(
                            s.slotName(),
                            e.activePid(),
                            "replication slot " + s.slotName() + " is still in use by " + pid + " on the source after"
                                    + " waiting " + slotReleaseTimeout.toSeconds() + " s. Capture workers have been"
                                    + " told to stop (the source is marked for deletion), so the slot is held by a"
                                    + " worker that cannot reach Kafka or by another client: find it with SELECT *"
                                    + " FROM pg_stat_replication"
                                    + (e.activePid() == null ? "" : " WHERE pid = " + e.activePid())
                                    + ", stop it, then DELETE again.");
                }
                sleep(Math.min(left, Duration.ofMillis(500).toNanos()));
            }
        }
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the replication slot to be released", e);
        }
    }

    /**
     * The source as stored (its password only as ciphertext).
     *
     * @throws NotFoundException if it does not exist
     */
    public Source source(SourceId id) {
        return require(id);
    }

    private Source require(SourceId id) {
        return repository.find(id).orElseThrow(() -> new NotFoundException("source", id.toString()));
    }

    private Source requireNotDeleting(SourceId id) {
        return notDeleting(require(id));
    }

    /** Locks the source's row for a change of its desired state (inside a transaction). */
    private Source lockNotDeleting(SourceId id) {
        return notDeleting(repository.lock(id).orElseThrow(() -> new NotFoundException("source", id.toString())));
    }

    private static Source notDeleting(Source s) {
        if (s.deleting()) {
            throw new ConflictException("source '" + s.name() + "' is being deleted (since " + s.deletionRequestedAt()
                    + "): DELETE /api/v1/sources/" + s.id() + " again to finish");
        }
        return s;
    }

    /** The stored connection with its password decrypted, for talking to the source. Never log the result. */
    public ConnectionString credentials(Source s) {
        return s.passwordCiphertext() == null
                ? s.connection()
                : s.connection().withPassword(cipher.decrypt(s.passwordCiphertext()));
    }
}
