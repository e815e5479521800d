package io.recall.coordinator.restore;

import static io.recall.coordinator.db.Tables.RESTORES;
import static org.jooq.impl.DSL.excluded;

import com.fasterxml.jackson.core.type.TypeReference;
import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.coordinator.config.JsonColumns;
import io.recall.coordinator.db.tables.records.RestoresRecord;
import io.recall.coordinator.restore.RestoreApi.Progress;
import io.recall.coordinator.restore.RestoreApi.RestoreView;
import io.recall.coordinator.restore.RestoreApi.RestoredTo;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.InsertOnDuplicateSetMoreStep;
import org.springframework.stereotype.Repository;

/** Restore jobs in the metadata database. Thread-safe. */
@Repository
class RestoreRepository {

    // how a row came to be (submitted_via): through the API, a record on the topic, or only a worker's event so far
    static final String VIA_API = "API";
    static final String VIA_KAFKA = "KAFKA";
    static final String VIA_EVENT = "EVENT";

    /** The columns a request sets (the rest belongs to the job's progress). */
    private static final List<Field<?>> REQUEST_FIELDS = List.of(
            RESTORES.SOURCE_ID,
            RESTORES.TARGET,
            RESTORES.INCLUSIVE,
            RESTORES.LATEST_LSN,
            RESTORES.RESTORE_POINT_LSN,
            RESTORES.APPROXIMATE,
            RESTORES.APPROXIMATE_REASON,
            RESTORES.TARGET_CONNECTION_CIPHERTEXT,
            RESTORES.TARGET_DISPLAY,
            RESTORES.MODE,
            RESTORES.CREATE_DATABASE,
            RESTORES.TABLES,
            RESTORES.SUBMITTED_VIA,
            RESTORES.REQUESTED_AT,
            RESTORES.REQUESTED_BY);

    private final DSLContext db;
    private final JsonColumns json;

    RestoreRepository(DSLContext db, JsonColumns json) {
        this.db = db;
        this.json = json;
    }

    /** Records a request accepted through the API, {@code QUEUED}. */
    void insert(RequestedRestore r) {
        db.insertInto(RESTORES).set(newRow(r)).execute();
    }

    /**
     * Records a request read from {@code recall.restore-jobs}: inserts it {@code QUEUED}, or fills in a row that so far
     * holds only a worker's event (its status and progress stay). A request already recorded (e.g. the API's own)
     * changes nothing.
     *
     * @return whether anything was recorded
     */
    boolean record(RequestedRestore r) {
        var upsert =
                db.insertInto(RESTORES).set(newRow(r)).onConflict(RESTORES.ID).doUpdate();
        var fill = upsert.set(RESTORES.UPDATED_AT, excluded(RESTORES.UPDATED_AT));
        for (Field<?> f : REQUEST_FIELDS) {
            fill = fromExcluded(fill, f);
        }
        return fill.where(RESTORES.TARGET.isNull()).execute() > 0;
    }

    private static <T> InsertOnDuplicateSetMoreStep<RestoresRecord> fromExcluded(
            InsertOnDuplicateSetMoreStep<RestoresRecord> step, Field<T> field) {
        return step.set(field, excluded(field));
    }

    private RestoresRecord newRow(RequestedRestore r) {
        RestoresRecord row = db.newRecord(RESTORES);
        row.setId(r.id());
        row.setSourceId(r.source().value());
        row.setTarget(json.write(r.target()));
        row.setInclusive(r.inclusive());
        row.setLatestLsn(r.latestLsn() == null ? null : r.latestLsn().value());
        row.setRestorePointLsn(
                r.restorePointLsn() == null ? null : r.restorePointLsn().value());
        row.setApproximate(r.approximation().approximate());
        row.setApproximateReason(r.approximation().reason());
        row.setTargetConnectionCiphertext(r.connectionCiphertext());
        row.setTargetDisplay(r.targetDisplay());
        row.setMode(r.mode().name());
        row.setCreateDatabase(r.createDatabase());
        row.setTables(r.tables() == null ? null : json.write(r.tables()));
        row.setSubmittedVia(r.submittedVia());
        row.setRequestedAt(r.requestedAt());
        row.setRequestedBy(r.requestedBy());
        row.setStatus(RestoreStatus.QUEUED.name());
        row.setCancelRequested(false);
        row.setUpdatedAt(now());
        return row;
    }

    /**
     * Inserts a minimal {@code QUEUED} row for a job known so far only from a worker's event (the request itself comes
     * later, or was written where this coordinator does not read); does nothing if the job is known.
     */
    void insertFromEvent(UUID id, SourceId source, OffsetDateTime at) {
        db.insertInto(RESTORES)
                .set(RESTORES.ID, id)
                .set(RESTORES.SOURCE_ID, source.value())
                .set(RESTORES.STATUS, RestoreStatus.QUEUED.name())
                .set(RESTORES.INCLUSIVE, true)
                .set(RESTORES.MODE, RestoreMode.EMPTY.name())
                .set(RESTORES.CREATE_DATABASE, false)
                .set(RESTORES.SUBMITTED_VIA, VIA_EVENT)
                .set(RESTORES.REQUESTED_AT, at)
                .set(RESTORES.CANCEL_REQUESTED, false)
                .set(RESTORES.UPDATED_AT, now())
                .onConflict(RESTORES.ID)
                .doNothing()
                .execute();
    }

    Optional<RestoreView> find(UUID id) {
        return db.selectFrom(RESTORES).where(RESTORES.ID.eq(id)).fetchOptional(this::toView);
    }

    /** Newest first. */
    List<RestoreView> list(SourceId source, RestoreStatus status, int limit) {
        List<Condition> where = new ArrayList<>();
        if (source != null) {
            where.add(RESTORES.SOURCE_ID.eq(source.value()));
        }
        if (status != null) {
            where.add(RESTORES.STATUS.eq(status.name()));
        }
        return db.selectFrom(RESTORES)
                .where(where)
                .orderBy(RESTORES.REQUESTED_AT.desc(), RESTORES.ID)
                .limit(limit)
                .fetch(this::toView);
    }

    /** Reads a job and locks its row until the transaction ends. */
    Optional<RestoresRecord> lock(UUID id) {
        return db.selectFrom(RESTORES).where(RESTORES.ID.eq(id)).forUpdate().fetchOptional();
    }

    /** @return whether the job exists */
    boolean markCancelRequested(UUID id) {
        return db.update(RESTORES)
                        .set(RESTORES.CANCEL_REQUESTED, true)
                        .set(RESTORES.UPDATED_AT, now())
                        .where(RESTORES.ID.eq(id))
                        .execute()
                > 0;
    }

    /**
     * Ends a job no worker has taken yet as {@code CANCELLED}.
     *
     * @return whether it was still {@code QUEUED}
     */
    boolean cancelIfQueued(UUID id) {
        OffsetDateTime now = now();
        return db.update(RESTORES)
                        .set(RESTORES.STATUS, RestoreStatus.CANCELLED.name())
                        .set(RESTORES.MESSAGE, "cancelled before a restore worker started it")
                        .set(RESTORES.FINISHED_AT, now)
                        .set(RESTORES.UPDATED_AT, now)
                        .where(RESTORES.ID.eq(id))
                        .and(RESTORES.STATUS.eq(RestoreStatus.QUEUED.name()))
                        .execute()
                > 0;
    }

    /** Ends a job that no worker can have seen (its request never reached Kafka) as {@code FAILED}. */
    void markFailed(UUID id, String error) {
        OffsetDateTime now = now();
        db.update(RESTORES)
                .set(RESTORES.STATUS, RestoreStatus.FAILED.name())
                .set(RESTORES.ERROR, error)
                .set(RESTORES.FINISHED_AT, now)
                .set(RESTORES.UPDATED_AT, now)
                .where(RESTORES.ID.eq(id))
                .and(RESTORES.STATUS.eq(RestoreStatus.QUEUED.name()))
                .execute();
    }

    private RestoreView toView(RestoresRecord r) {
        return new RestoreView(
                r.getId().toString(),
                r.getSourceId().toString(),
                r.getStatus(),
                r.getTarget() == null ? null : json.read(r.getTarget(), new TypeReference<Map<String, Object>>() {}),
                r.getInclusive(),
                r.getApproximate(),
                r.getApproximateReason(),
                r.getTargetDisplay(),
                r.getMode(),
                r.getCreateDatabase(),
                r.getTables() == null ? null : json.read(r.getTables(), new TypeReference<List<String>>() {}),
                r.getRequestedAt(),
                r.getRequestedBy(),
                r.getStartedAt(),
                r.getFinishedAt(),
                r.getCancelRequested(),
                new Progress(
                        r.getPhase(),
                        r.getMessage(),
                        r.getSegmentsApplied(),
                        r.getSegmentsTotal(),
                        r.getBytesRead(),
                        r.getBytesTotal(),
                        r.getTransactionsApplied(),
                        r.getRowsApplied(),
                        r.getRowsPerSecond(),
                        r.getEtaSeconds()),
                r.getBaseBackupId() == null ? null : r.getBaseBackupId().toString(),
                lsnText(r.getCutoffLsn()),
                r.getRestoredLsn() == null && r.getRestoredTime() == null
                        ? null
                        : new RestoredTo(lsnText(r.getRestoredLsn()), r.getRestoredTime()),
                r.getError(),
                r.getWorker(),
                r.getAttempt());
    }

    static String lsnText(Long lsn) {
        return lsn == null ? null : new Lsn(lsn).toString();
    }

    static OffsetDateTime now() {
        return OffsetDateTime.now(java.time.ZoneOffset.UTC);
    }
}
