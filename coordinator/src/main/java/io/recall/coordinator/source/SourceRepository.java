package io.recall.coordinator.source;

import static io.recall.coordinator.db.Tables.PROBE_REPORTS;
import static io.recall.coordinator.db.Tables.SOURCES;

import com.fasterxml.jackson.core.type.TypeReference;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.pg.ConnectionString;
import io.recall.coordinator.config.JsonColumns;
import io.recall.coordinator.db.tables.records.SourcesRecord;
import io.recall.coordinator.source.probe.DdlCaptureMode;
import io.recall.coordinator.source.probe.ProbeReport;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.UpdateSetMoreStep;
import org.springframework.stereotype.Repository;

/** Sources and their probe reports in the metadata database. Thread-safe. */
@Repository
class SourceRepository {

    private final DSLContext db;
    private final JsonColumns json;

    SourceRepository(DSLContext db, JsonColumns json) {
        this.db = db;
        this.json = json;
    }

    boolean nameExists(String name) {
        return db.fetchExists(SOURCES, SOURCES.NAME.eq(name));
    }

    void insert(Source s) {
        SourcesRecord r = db.newRecord(SOURCES);
        r.setId(s.id().value());
        r.setName(s.name());
        r.setHost(s.connection().host());
        r.setPort(s.connection().port());
        r.setDatabaseName(s.connection().database());
        r.setUsername(s.connection().user());
        r.setConnectionOptions(json.write(s.connection().options()));
        r.setPasswordCiphertext(s.passwordCiphertext());
        r.setPasswordKeyId(
                s.passwordCiphertext() == null
                        ? null
                        : io.recall.common.crypto.SecretCipher.keyIdOf(s.passwordCiphertext()));
        r.setTablePatterns(json.write(s.selection().includeText()));
        r.setExcludedTables(json.write(s.selection().excludeText()));
        r.setTables(json.write(s.tables().stream().map(TableName::toString).toList()));
        r.setSlotName(s.slotName());
        r.setPublicationName(s.publicationName());
        r.setBaseBackupSchedule(s.baseBackupSchedule());
        r.setRetention(s.retention() == null ? null : json.write(s.retention()));
        r.setSystemIdentifier(s.systemIdentifier());
        r.setServerVersionNum(s.serverVersionNum());
        r.setDdlCaptureMode(
                s.ddlCaptureMode() == null ? null : s.ddlCaptureMode().name());
        r.setStatus(s.status().name());
        r.setStatusDetail(s.statusDetail());
        r.setPaused(s.paused());
        r.setEpoch(s.epoch());
        r.setPublishedEpoch(s.publishedEpoch());
        r.setBaseBackupRequestId(s.baseBackupRequestId());
        r.setDeletionRequestedAt(s.deletionRequestedAt());
        r.setCreatedAt(s.createdAt());
        r.setUpdatedAt(s.updatedAt());
        r.setVersion(0);
        r.insert();
    }

    Optional<Source> find(SourceId id) {
        return db.selectFrom(SOURCES).where(SOURCES.ID.eq(id.value())).fetchOptional(this::toSource);
    }

    /**
     * Reads a source and locks its row until the transaction ends ({@code FOR NO KEY UPDATE}): changes of its
     * desired state and its publication to Kafka are serialised on this lock. Catalog inserts that reference the
     * row (they take {@code FOR KEY SHARE}) are not blocked by it.
     */
    Optional<Source> lock(SourceId id) {
        return db.selectFrom(SOURCES)
                .where(SOURCES.ID.eq(id.value()))
                .forNoKeyUpdate()
                .fetchOptional(this::toSource);
    }

    /** Sources whose current epoch Kafka has not acknowledged. */
    List<SourceId> unpublished() {
        return db.select(SOURCES.ID)
                .from(SOURCES)
                .where(SOURCES.PUBLISHED_EPOCH.isDistinctFrom(SOURCES.EPOCH))
                .orderBy(SOURCES.UPDATED_AT)
                .fetch(r -> new SourceId(r.value1()));
    }

    /** Records that Kafka acknowledged the desired state (or tombstone) of {@code epoch}. */
    void markPublished(SourceId id, long epoch) {
        db.update(SOURCES)
                .set(SOURCES.PUBLISHED_EPOCH, epoch)
                .where(SOURCES.ID.eq(id.value()))
                .execute();
    }

    /** Pauses or resumes: a change of desired state, so the epoch grows. */
    void setPaused(SourceId id, boolean paused, String detail) {
        desiredStateChange()
                .set(SOURCES.PAUSED, paused)
                .set(SOURCES.STATUS_DETAIL, detail)
                .where(SOURCES.ID.eq(id.value()))
                .execute();
    }

    /** Asks for a base backup: the request id becomes part of the desired state. */
    void requestBaseBackup(SourceId id, UUID requestId) {
        desiredStateChange()
                .set(SOURCES.BASE_BACKUP_REQUEST_ID, requestId)
                .where(SOURCES.ID.eq(id.value()))
                .execute();
    }

    /** Sources with a base-backup schedule that are not being deleted. */
    List<BaseBackupSchedule> schedules() {
        return db.select(
                        SOURCES.ID,
                        SOURCES.BASE_BACKUP_SCHEDULE,
                        SOURCES.BASE_BACKUP_SCHEDULED_UNTIL,
                        SOURCES.CREATED_AT)
                .from(SOURCES)
                .where(SOURCES.BASE_BACKUP_SCHEDULE.isNotNull())
                .and(SOURCES.DELETION_REQUESTED_AT.isNull())
                .orderBy(SOURCES.NAME)
                .fetch(r -> new BaseBackupSchedule(
                        new SourceId(r.value1()), r.value2(), r.value3() == null ? r.value4() : r.value3()));
    }

    /**
     * Records that the schedule's fire times up to {@code fireTime} are handled, unless they already are (another
     * coordinator got there first).
     *
     * @return whether this call moved it
     */
    boolean markScheduleHandled(SourceId id, OffsetDateTime fireTime) {
        return db.update(SOURCES)
                        .set(SOURCES.BASE_BACKUP_SCHEDULED_UNTIL, fireTime)
                        .where(SOURCES.ID.eq(id.value()))
                        .and(SOURCES.BASE_BACKUP_SCHEDULED_UNTIL
                                .isNull()
                                .or(SOURCES.BASE_BACKUP_SCHEDULED_UNTIL.lt(fireTime)))
                        .execute()
                > 0;
    }

    /** Starts a deletion: the desired state becomes a tombstone. */
    void markDeleting(SourceId id, OffsetDateTime at) {
        desiredStateChange()
                .set(SOURCES.DELETION_REQUESTED_AT, at)
                .set(
                        SOURCES.STATUS_DETAIL,
                        "deletion requested: capture is told to stop; the slot and publication are dropped next")
                .where(SOURCES.ID.eq(id.value()))
                .execute();
    }

    private UpdateSetMoreStep<SourcesRecord> desiredStateChange() {
        return db.update(SOURCES)
                .set(SOURCES.EPOCH, SOURCES.EPOCH.plus(1))
                .set(SOURCES.UPDATED_AT, OffsetDateTime.now(ZoneOffset.UTC))
                .set(SOURCES.VERSION, SOURCES.VERSION.plus(1));
    }

    List<Source> list() {
        return db.selectFrom(SOURCES).orderBy(SOURCES.NAME).fetch(this::toSource);
    }

    boolean delete(SourceId id) {
        return db.deleteFrom(SOURCES).where(SOURCES.ID.eq(id.value())).execute() > 0;
    }

    /** Records what a re-probe learned; bumps the epoch when the table list changed. */
    void updateFromProbe(
            SourceId id,
            List<TableName> tables,
            String systemIdentifier,
            int serverVersionNum,
            DdlCaptureMode mode,
            boolean tablesChanged) {
        var now = OffsetDateTime.now(ZoneOffset.UTC);
        var update = db.update(SOURCES)
                .set(
                        SOURCES.TABLES,
                        json.write(tables.stream().map(TableName::toString).toList()))
                .set(SOURCES.SERVER_VERSION_NUM, serverVersionNum)
                .set(SOURCES.DDL_CAPTURE_MODE, mode.name())
                .set(SOURCES.UPDATED_AT, now)
                .set(SOURCES.VERSION, SOURCES.VERSION.plus(1));
        if (systemIdentifier != null) {
            update = update.set(SOURCES.SYSTEM_IDENTIFIER, systemIdentifier);
        }
        if (tablesChanged) {
            update = update.set(SOURCES.EPOCH, SOURCES.EPOCH.plus(1));
        }
        update.where(SOURCES.ID.eq(id.value())).execute();
    }

    void insertReport(SourceId id, ProbeReport report) {
        db.insertInto(PROBE_REPORTS)
                .set(PROBE_REPORTS.ID, UUID.randomUUID())
                .set(PROBE_REPORTS.SOURCE_ID, id.value())
                .set(PROBE_REPORTS.OUTCOME, report.outcome().name())
                .set(PROBE_REPORTS.CHECKS, json.write(report.checks()))
                .set(PROBE_REPORTS.SERVER_VERSION, report.serverVersion())
                .set(PROBE_REPORTS.PROBED_AT, report.probedAt().atOffset(ZoneOffset.UTC))
                .execute();
    }

    Optional<ProbeReport> latestReport(SourceId id) {
        return db.selectFrom(PROBE_REPORTS)
                .where(PROBE_REPORTS.SOURCE_ID.eq(id.value()))
                .orderBy(PROBE_REPORTS.PROBED_AT.desc())
                .limit(1)
                .fetchOptional(r -> new ProbeReport(
                        io.recall.coordinator.source.probe.CheckStatus.valueOf(r.getOutcome()),
                        r.getProbedAt().toInstant(),
                        r.getServerVersion(),
                        json.read(
                                r.getChecks(),
                                new TypeReference<List<io.recall.coordinator.source.probe.ProbeCheck>>() {})));
    }

    private Source toSource(SourcesRecord r) {
        Map<String, String> options = json.read(r.getConnectionOptions(), new TypeReference<Map<String, String>>() {});
        var connection =
                new ConnectionString(r.getHost(), r.getPort(), r.getDatabaseName(), r.getUsername(), null, options);
        List<String> include = json.read(r.getTablePatterns(), new TypeReference<List<String>>() {});
        List<String> exclude = json.read(r.getExcludedTables(), new TypeReference<List<String>>() {});
        List<TableName> tables = json.read(r.getTables(), new TypeReference<List<String>>() {}).stream()
                .map(TableName::parse)
                .toList();
        return new Source(
                new SourceId(r.getId()),
                r.getName(),
                connection,
                r.getPasswordCiphertext(),
                TableSelection.of(include, exclude),
                tables,
                r.getSlotName(),
                r.getPublicationName(),
                r.getBaseBackupSchedule(),
                r.getRetention() == null
                        ? null
                        : json.read(r.getRetention(), new TypeReference<Map<String, Object>>() {}),
                r.getSystemIdentifier(),
                r.getServerVersionNum(),
                r.getDdlCaptureMode() == null ? null : DdlCaptureMode.valueOf(r.getDdlCaptureMode()),
                r.getDdlCaptureReportedMode() == null
                        ? null
                        : new DdlCapture(
                                r.getDdlCaptureReportedMode(), r.getDdlCaptureTransport(), r.getDdlCaptureDetail()),
                SourceStatus.valueOf(r.getStatus()),
                r.getStatusDetail(),
                r.getPaused(),
                r.getEpoch(),
                r.getPublishedEpoch(),
                r.getBaseBackupRequestId(),
                r.getDeletionRequestedAt(),
                r.getDurableLsn() == null ? null : new Lsn(r.getDurableLsn()),
                r.getDurableCommitTime(),
                r.getArchivedLsn() == null ? null : new Lsn(r.getArchivedLsn()),
                r.getArchivedTime(),
                r.getSlotLagBytes(),
                r.getLastError(),
                r.getArchiveError(),
                r.getArchiveErrorSince(),
                r.getCreatedAt(),
                r.getUpdatedAt());
    }
}
