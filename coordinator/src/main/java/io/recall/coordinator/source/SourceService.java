package io.recall.coordinator.source;

import io.recall.common.SourceId;
import io.recall.common.crypto.SecretCipher;
import io.recall.common.errors.ConflictException;
import io.recall.common.errors.InvalidRequestException;
import io.recall.common.errors.NotFoundException;
import io.recall.common.errors.SourceConnectionException;
import io.recall.common.pg.ConnectionString;
import io.recall.coordinator.source.SourceApi.Deletion;
import io.recall.coordinator.source.SourceApi.RegisterSource;
import io.recall.coordinator.source.SourceApi.SourceView;
import io.recall.coordinator.source.probe.CapabilityProbe;
import io.recall.coordinator.source.probe.CheckStatus;
import io.recall.coordinator.source.probe.ProbeFailedException;
import io.recall.coordinator.source.probe.ProbeReport;
import io.recall.coordinator.source.probe.ProbeResult;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Registers, lists, re-probes and removes sources. The probe runs before anything is stored, and outside any
 * metadata transaction (it talks to a remote database). Thread-safe.
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

    SourceService(
            SourceRepository repository,
            CapabilityProbe probe,
            SecretCipher cipher,
            SourceObjects objects,
            TransactionTemplate tx) {
        this.repository = repository;
        this.probe = probe;
        this.cipher = cipher;
        this.objects = objects;
        this.tx = tx;
    }

    /**
     * Probes the source and, unless a check fails, stores it with its password encrypted.
     *
     * @throws ProbeFailedException a blocking check failed; nothing was stored
     * @throws SourceConnectionException the source could not be reached or refused the credentials
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
            return SourceView.of(source, result.report());
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

    /** Runs the probe again with the stored credentials; records the report and any change in the table list. */
    public ProbeReport reprobe(SourceId id) {
        Source s = require(id);
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            ProbeResult result = probe.probe(credentials(s), s.selection(), s.slotName());
            boolean changed = !result.facts().tables().equals(s.tables());
            tx.executeWithoutResult(st -> {
                repository.insertReport(id, result.report());
                if (result.report().outcome() != CheckStatus.FAIL) {
                    repository.updateFromProbe(
                            id,
                            result.facts().tables(),
                            result.facts().systemIdentifier(),
                            result.facts().serverVersionNum(),
                            result.facts().ddlCaptureMode(),
                            changed);
                }
            });
            return result.report();
        }
    }

    /**
     * Drops the slot and publication on the source, then forgets the source. With {@code force}, a source that
     * cannot be reached is forgotten anyway and the response warns that its slot may still retain WAL.
     */
    public Deletion delete(SourceId id, boolean force) {
        Source s = require(id);
        List<String> warnings = new ArrayList<>();
        boolean slot = false;
        boolean publication = false;
        try (var ignored = MDC.putCloseable("source", id.toString())) {
            try {
                SourceObjects.Removed removed = objects.drop(credentials(s), s.slotName(), s.publicationName());
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
            repository.delete(id);
            log.info("deleted source '{}' (slot dropped: {}, publication dropped: {})", s.name(), slot, publication);
            return new Deletion(id.toString(), slot, publication, warnings);
        }
    }

    private Source require(SourceId id) {
        return repository.find(id).orElseThrow(() -> new NotFoundException("source", id.toString()));
    }

    /** The stored connection with its password decrypted, for talking to the source. Never log the result. */
    ConnectionString credentials(Source s) {
        return s.passwordCiphertext() == null
                ? s.connection()
                : s.connection().withPassword(cipher.decrypt(s.passwordCiphertext()));
    }
}
