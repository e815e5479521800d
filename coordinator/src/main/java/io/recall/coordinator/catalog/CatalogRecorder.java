package io.recall.coordinator.catalog;

import static io.recall.coordinator.db.Tables.APPROXIMATE_RANGES;
import static io.recall.coordinator.db.Tables.BASE_BACKUPS;
import static io.recall.coordinator.db.Tables.SCHEMA_CHANGES;
import static io.recall.coordinator.db.Tables.SEGMENTS;
import static io.recall.coordinator.db.Tables.SOURCES;
import static io.recall.coordinator.db.Tables.STREAM_GAPS;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.excluded;
import static org.jooq.impl.DSL.val;
import static org.jooq.impl.DSL.when;

import io.recall.common.Lsn;
import io.recall.common.SourceId;
import io.recall.common.segment.SegmentName;
import io.recall.coordinator.config.JsonColumns;
import io.recall.coordinator.source.SourceStatus;
import io.recall.schemas.catalog.ApproximateRange;
import io.recall.schemas.catalog.ArchiveStatus;
import io.recall.schemas.catalog.BaseBackupCompleted;
import io.recall.schemas.catalog.BaseBackupFailed;
import io.recall.schemas.catalog.CaptureState;
import io.recall.schemas.catalog.CatalogEvent;
import io.recall.schemas.catalog.DdlCaptureMode;
import io.recall.schemas.catalog.GapDetected;
import io.recall.schemas.catalog.SchemaChanged;
import io.recall.schemas.catalog.SegmentSealed;
import io.recall.schemas.catalog.SourceStatusReport;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Records what workers report on {@code recall.catalog} in the metadata database: the observed side of a source
 * (status, watermarks, lag, last error, how its DDL is captured), its base backups, the gaps in its stream, its schema
 * changes and the ranges across which restores replay a schema change only approximately. The desired side (epoch,
 * paused, tables) belongs to the source registry and is never written here.
 *
 * <p>Every effect is idempotent, because delivery is at least once: status updates move {@code durable_lsn} and
 * segments move {@code archived_lsn} only forward, segments are keyed by their LSN range (a sink that stores the same
 * segment again after a crash announces the same key), schema changes by their commit LSN and ordinal, approximate
 * ranges by their start and reason, and other rows get ids derived from the event (the backup id, or the record's
 * topic, partition and offset). Events of a source that does not exist (deleted) are ignored. Thread-safe.
 */
@Component
class CatalogRecorder {

    private static final Logger log = LoggerFactory.getLogger(CatalogRecorder.class);

    /** Where a record came from: names rows of events that carry no id of their own. */
    record RecordRef(String topic, int partition, long offset) {
        UUID derivedId(String kind) {
            return UUID.nameUUIDFromBytes(
                    (kind + "/" + topic + "/" + partition + "/" + offset).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Reasons of base backups taken with a new main replication slot: the stream, and replay, start at them. */
    private static final Set<String> NEW_SLOT_REASONS = Set.of("INITIAL", "AFTER_GAP");

    private final DSLContext db;
    private final JsonColumns json;

    CatalogRecorder(DSLContext db, JsonColumns json) {
        this.db = db;
        this.json = json;
    }

    /**
     * Records one event in one transaction.
     *
     * @throws IllegalArgumentException if the event contradicts itself (e.g. a segment key that does not name its
     *     source and LSN range): it is not recorded, and never will be
     */
    /** What {@link #apply} did with an event. */
    enum Outcome {
        /** Recorded (or already recorded: applying an event again changes nothing). */
        APPLIED,
        /** The source does not exist (deleted, or never registered here): nothing was recorded. */
        UNKNOWN_SOURCE
    }

    /**
     * Records one event in one transaction.
     *
     * @throws IllegalArgumentException if the event contradicts itself (a segment key that does not name its source
     *     and LSN range, an approximate range that ends before it begins): it is not recorded, and never will be
     */
    @Transactional
    public Outcome apply(SourceId source, CatalogEvent event, RecordRef ref) {
        OffsetDateTime at = utc(event.getAt());
        boolean applied = switch (event.getBody()) {
            case SourceStatusReport s -> status(source, s, event.getWorker());
            case BaseBackupCompleted b -> backupCompleted(source, b, at);
            case BaseBackupFailed f -> backupFailed(source, f, at, ref);
            case GapDetected g -> gap(source, g, at, ref);
            case ApproximateRange a -> approximateRange(source, a, at);
            case SegmentSealed s -> segmentSealed(source, s, at);
            case ArchiveStatus a -> archiveStatus(source, a);
            case SchemaChanged c -> schemaChanged(source, c);
            default -> {
                log.warn(
                        "ignoring a catalog event of unknown kind {}",
                        event.getBody().getClass().getSimpleName());
                yield true;
            }
        };
        if (!applied) {
            log.debug("ignoring a catalog event of unknown source {}", source);
            return Outcome.UNKNOWN_SOURCE;
        }
        return Outcome.APPLIED;
    }

    /**
     * Status and watermarks. {@code WAITING_FOR_SLOT} keeps the status and only says why in the detail. The durable
     * LSN never moves backwards (a report from a worker that lost its partition may arrive late), and its commit time
     * moves with it. {@code last_error} is set by {@code ERROR} and cleared once the source streams again. The DDL
     * capture mode is replaced by each report that carries one.
     */
    private boolean status(SourceId source, SourceStatusReport r, String worker) {
        CaptureState state = r.getState();
        Field<String> status = state == CaptureState.WAITING_FOR_SLOT
                ? SOURCES.STATUS
                : val(mapState(state).name());
        var update = db.update(SOURCES)
                .set(SOURCES.STATUS, status)
                .set(SOURCES.STATUS_DETAIL, detail(r, worker))
                .set(SOURCES.UPDATED_AT, OffsetDateTime.now(ZoneOffset.UTC));
        Long lsn = r.getDurableLsn();
        if (lsn != null && lsn != 0) {
            // LSNs stay far below 2^63 (see V1__metadata.sql), so signed comparison is LSN order
            var advances = SOURCES.DURABLE_LSN.isNull().or(SOURCES.DURABLE_LSN.lt(lsn));
            update = update.set(SOURCES.DURABLE_LSN, when(advances, val(lsn)).otherwise(SOURCES.DURABLE_LSN));
            if (r.getDurableCommitTime() != null) {
                var notBehind = SOURCES.DURABLE_LSN.isNull().or(SOURCES.DURABLE_LSN.le(lsn));
                update = update.set(
                        SOURCES.DURABLE_COMMIT_TIME,
                        when(notBehind, val(utc(r.getDurableCommitTime()))).otherwise(SOURCES.DURABLE_COMMIT_TIME));
            }
        }
        if (r.getSlotLagBytes() != null) {
            update = update.set(SOURCES.SLOT_LAG_BYTES, r.getSlotLagBytes());
        }
        if (state == CaptureState.ERROR) {
            update = update.set(SOURCES.LAST_ERROR, r.getLastError() == null ? "unknown error" : r.getLastError());
        } else if (state == CaptureState.STREAMING) {
            update = update.set(SOURCES.LAST_ERROR, (String) null);
        }
        DdlCaptureMode ddl = r.getDdlCapture();
        if (ddl != null) {
            // absent in reports of workers that predate DDL capture: the last known mode stays
            update = update.set(SOURCES.DDL_CAPTURE_REPORTED_MODE, ddl.getMode())
                    .set(SOURCES.DDL_CAPTURE_TRANSPORT, ddl.getTransport())
                    .set(SOURCES.DDL_CAPTURE_DETAIL, ddl.getDetail());
        }
        return update.where(SOURCES.ID.eq(source.value())).execute() > 0;
    }

    /** The sink's storage health for the source: an error and since when, cleared by a healthy report. */
    private boolean archiveStatus(SourceId source, ArchiveStatus a) {
        var update = db.update(SOURCES).set(SOURCES.UPDATED_AT, OffsetDateTime.now(ZoneOffset.UTC));
        if (a.getHealthy()) {
            update = update.set(SOURCES.ARCHIVE_ERROR, (String) null)
                    .set(SOURCES.ARCHIVE_ERROR_SINCE, (OffsetDateTime) null);
        } else {
            String error = (a.getError() == null ? "storage refuses sealed segments" : a.getError())
                    + " (" + a.getWaitingSegments() + " sealed segments, " + a.getWaitingBytes()
                    + " bytes wait on the sink; Kafka keeps the changes meanwhile)";
            update = update.set(SOURCES.ARCHIVE_ERROR, error)
                    .set(
                            SOURCES.ARCHIVE_ERROR_SINCE,
                            coalesce(
                                    SOURCES.ARCHIVE_ERROR_SINCE,
                                    val(
                                            a.getSince() == null
                                                    ? OffsetDateTime.now(ZoneOffset.UTC)
                                                    : utc(a.getSince()))));
        }
        return update.where(SOURCES.ID.eq(source.value())).execute() > 0;
    }

    static SourceStatus mapState(CaptureState state) {
        return switch (state) {
            case BASE_BACKUP -> SourceStatus.BASE_BACKUP;
            case STREAMING -> SourceStatus.STREAMING;
            case PAUSED -> SourceStatus.PAUSED;
            case ERROR -> SourceStatus.ERROR;
            case WAITING_FOR_SLOT -> throw new IllegalArgumentException("WAITING_FOR_SLOT keeps the status");
        };
    }

    private static String detail(SourceStatusReport r, String worker) {
        return switch (r.getState()) {
            case BASE_BACKUP -> "taking a base backup on worker " + worker;
            case STREAMING -> "streaming on worker " + worker;
            case PAUSED ->
                "paused: the replication slot is kept and retains WAL on the source"
                        + (r.getRetainedWalBytes() == null ? "" : " (" + r.getRetainedWalBytes() + " bytes now)")
                        + "; reported by worker " + worker;
            case ERROR -> "capture failed on worker " + worker + " and is retried; see lastError";
            case WAITING_FOR_SLOT ->
                "waiting on worker " + worker + " for the replication slot, held by another connection"
                        + (r.getLastError() == null ? "" : ": " + r.getLastError());
        };
    }

    /**
     * A finished base backup (the row of a request with the same id is completed in place).
     *
     * <p>A backup taken with a new main slot ({@code INITIAL} or {@code AFTER_GAP}) closes every open gap of the source
     * that began at or before its consistent point: the new slot's stream, and so replay, starts there. A backup under
     * a temporary slot ({@code REQUESTED}) closes none: it only says where replay of the main stream may begin, and
     * the main stream is the one that broke. One that was running when the gap was detected and finished after it
     * would otherwise end the gap before the stream is whole again (I4).
     *
     * <p>Any backup, whatever its reason, closes every open approximate range of the source that began before its
     * consistent point: its dump already holds the schema change, so replay from it is exact. The stream did not break,
     * so a temporary slot's backup serves as well as a new main slot's. A range that began at the consistent point
     * itself stays open: the transaction that showed the change is replayed after that dump, not part of it.
     */
    private boolean backupCompleted(SourceId source, BaseBackupCompleted b, OffsetDateTime at) {
        if (!lockSource(source)) {
            return false;
        }
        OffsetDateTime snapshot = utc(b.getSnapshotTime());
        db.insertInto(BASE_BACKUPS)
                .set(BASE_BACKUPS.ID, backupId(source, b.getBackupId()))
                .set(BASE_BACKUPS.SOURCE_ID, source.value())
                .set(BASE_BACKUPS.STATUS, BaseBackupStatus.SUCCEEDED.name())
                .set(BASE_BACKUPS.REASON, b.getReason())
                .set(BASE_BACKUPS.CONSISTENT_LSN, b.getConsistentLsn())
                .set(BASE_BACKUPS.SNAPSHOT_TIME, snapshot)
                .set(BASE_BACKUPS.SERVER_VERSION, b.getServerVersion())
                .set(BASE_BACKUPS.STORAGE_PREFIX, b.getStoragePrefix())
                .set(BASE_BACKUPS.TOTAL_BYTES, b.getTotalBytes())
                .set(BASE_BACKUPS.MANIFEST_SHA256, b.getManifestSha256())
                .set(BASE_BACKUPS.REQUESTED_AT, snapshot)
                .set(BASE_BACKUPS.STARTED_AT, snapshot)
                .set(BASE_BACKUPS.FINISHED_AT, at)
                .onConflict(BASE_BACKUPS.ID)
                .doUpdate()
                .set(BASE_BACKUPS.STATUS, BaseBackupStatus.SUCCEEDED.name())
                .set(BASE_BACKUPS.CONSISTENT_LSN, b.getConsistentLsn())
                .set(BASE_BACKUPS.SNAPSHOT_TIME, snapshot)
                .set(BASE_BACKUPS.SERVER_VERSION, b.getServerVersion())
                .set(BASE_BACKUPS.STORAGE_PREFIX, b.getStoragePrefix())
                .set(BASE_BACKUPS.TOTAL_BYTES, b.getTotalBytes())
                .set(BASE_BACKUPS.MANIFEST_SHA256, b.getManifestSha256())
                .set(BASE_BACKUPS.STARTED_AT, snapshot)
                .set(BASE_BACKUPS.FINISHED_AT, at)
                .set(BASE_BACKUPS.ERROR, (String) null)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .execute();
        int closed = !NEW_SLOT_REASONS.contains(b.getReason())
                ? 0
                : db.update(STREAM_GAPS)
                        .set(STREAM_GAPS.TO_LSN, b.getConsistentLsn())
                        .where(STREAM_GAPS.SOURCE_ID.eq(source.value()))
                        .and(STREAM_GAPS.TO_LSN.isNull())
                        .and(STREAM_GAPS.FROM_LSN.le(b.getConsistentLsn()))
                        .execute();
        int exactAgain = db.update(APPROXIMATE_RANGES)
                .set(APPROXIMATE_RANGES.TO_LSN, b.getConsistentLsn())
                .where(APPROXIMATE_RANGES.SOURCE_ID.eq(source.value()))
                .and(APPROXIMATE_RANGES.TO_LSN.isNull())
                .and(APPROXIMATE_RANGES.FROM_LSN.lt(b.getConsistentLsn()))
                .execute();
        log.info(
                "base backup {} of source {} succeeded at consistent point {}{}{}",
                b.getBackupId(),
                source,
                new Lsn(b.getConsistentLsn()),
                closed == 0 ? "" : "; it closes " + closed + " gap(s)",
                exactAgain == 0 ? "" : "; it closes " + exactAgain + " approximate range(s)");
        return true;
    }

    /** A failed base backup. The event carries no reason; a request row with the same id keeps its own. */
    private boolean backupFailed(SourceId source, BaseBackupFailed f, OffsetDateTime at, RecordRef ref) {
        if (!lockSource(source)) {
            return false;
        }
        UUID id = isUuid(f.getBackupId()) ? UUID.fromString(f.getBackupId()) : ref.derivedId("base-backup-failed");
        db.insertInto(BASE_BACKUPS)
                .set(BASE_BACKUPS.ID, id)
                .set(BASE_BACKUPS.SOURCE_ID, source.value())
                .set(BASE_BACKUPS.STATUS, BaseBackupStatus.FAILED.name())
                .set(BASE_BACKUPS.REASON, "UNKNOWN")
                .set(BASE_BACKUPS.ERROR, f.getError())
                .set(BASE_BACKUPS.REQUESTED_AT, at)
                .set(BASE_BACKUPS.FINISHED_AT, at)
                .onConflict(BASE_BACKUPS.ID)
                .doUpdate()
                .set(BASE_BACKUPS.STATUS, BaseBackupStatus.FAILED.name())
                .set(BASE_BACKUPS.ERROR, f.getError())
                .set(BASE_BACKUPS.FINISHED_AT, at)
                .where(BASE_BACKUPS.SOURCE_ID.eq(source.value()))
                .execute();
        log.warn("base backup {} of source {} failed: {}", f.getBackupId(), source, f.getError());
        return true;
    }

    /**
     * A break in the stream (I4). When the worker could not say where it began (0), the gap starts at the durable
     * watermark: everything before it is safely in Kafka. The next completed base backup closes it.
     */
    private boolean gap(SourceId source, GapDetected g, OffsetDateTime at, RecordRef ref) {
        // fetch the row, not the field: a source without a durable LSN yet must not look like a missing source
        Long durable = db.select(SOURCES.DURABLE_LSN)
                .from(SOURCES)
                .where(SOURCES.ID.eq(source.value()))
                .forKeyShare()
                .fetchOptional()
                .map(r -> r.value1() == null ? 0L : r.value1())
                .orElse(null);
        if (durable == null) {
            return false;
        }
        long from = g.getFromLsn() != 0 ? g.getFromLsn() : durable;
        Long to = g.getToLsn() == null || g.getToLsn() == 0 ? null : g.getToLsn();
        db.insertInto(STREAM_GAPS)
                .set(STREAM_GAPS.ID, ref.derivedId("gap"))
                .set(STREAM_GAPS.SOURCE_ID, source.value())
                .set(STREAM_GAPS.FROM_LSN, from)
                .set(STREAM_GAPS.TO_LSN, to)
                .set(STREAM_GAPS.REASON, g.getReason())
                .set(STREAM_GAPS.DETECTED_AT, at)
                .onConflictDoNothing()
                .execute();
        log.warn("gap in the stream of source {} from {}: {}", source, new Lsn(from), g.getReason());
        return true;
    }

    /**
     * A schema change fallback DDL capture cannot rebuild exactly: a restore to a target in {@code [fromLsn, toLsn)}
     * replays across it only approximately (it is accepted, and says so). The next completed base backup closes an open
     * range (see {@link #backupCompleted}). The row's id is derived from the source, {@code fromLsn} and reason, not
     * from the record: a worker that restarts decodes the same transaction again and reports the same range at another
     * offset, and that must stay one range. A repeat never reopens a closed range; one that brings the end an open
     * range lacked sets it.
     *
     * @throws IllegalArgumentException if the range ends before it begins
     */
    private boolean approximateRange(SourceId source, ApproximateRange a, OffsetDateTime at) {
        long from = a.getFromLsn();
        Long to = a.getToLsn() == null || a.getToLsn() == 0 ? null : a.getToLsn();
        if (to != null && to <= from) {
            throw new IllegalArgumentException("approximate range " + new Lsn(from) + ".." + new Lsn(to) + " of source "
                    + source + " ends before it begins");
        }
        if (!lockSource(source)) {
            return false;
        }
        UUID id = UUID.nameUUIDFromBytes(
                ("approximate-range/" + source + "/" + from + "/" + a.getReason()).getBytes(StandardCharsets.UTF_8));
        int changed = db.insertInto(APPROXIMATE_RANGES)
                .set(APPROXIMATE_RANGES.ID, id)
                .set(APPROXIMATE_RANGES.SOURCE_ID, source.value())
                .set(APPROXIMATE_RANGES.FROM_LSN, from)
                .set(APPROXIMATE_RANGES.TO_LSN, to)
                .set(APPROXIMATE_RANGES.REASON, a.getReason())
                .set(APPROXIMATE_RANGES.DETECTED_AT, at)
                .onConflict(APPROXIMATE_RANGES.ID)
                .doUpdate()
                .set(APPROXIMATE_RANGES.TO_LSN, excluded(APPROXIMATE_RANGES.TO_LSN))
                .where(APPROXIMATE_RANGES.TO_LSN.isNull())
                .and(excluded(APPROXIMATE_RANGES.TO_LSN).isNotNull())
                .execute();
        if (changed == 0) {
            log.debug("approximate range of source {} from {} was recorded already", source, new Lsn(from));
        } else {
            log.warn(
                    "schema change of source {} at {} cannot be rebuilt exactly: restores to a target from there{}"
                            + " replay across it approximately ({})",
                    source,
                    new Lsn(from),
                    to == null ? " until the next base backup" : " to " + new Lsn(to),
                    a.getReason());
        }
        return true;
    }

    /**
     * One DDL command of the source. The first report of a command (commit LSN and ordinal) is kept; a repeat after a
     * worker's crash describes the same command and changes nothing.
     */
    private boolean schemaChanged(SourceId source, SchemaChanged c) {
        if (!lockSource(source)) {
            return false;
        }
        List<SchemaHistoryView.ObjectChange> objects = c.getObjects().stream()
                .map(o -> new SchemaHistoryView.ObjectChange(
                        o.getObjectType(), o.getIdentity(), o.getAction(), o.getReplayed()))
                .toList();
        int inserted = db.insertInto(SCHEMA_CHANGES)
                .set(SCHEMA_CHANGES.SOURCE_ID, source.value())
                .set(SCHEMA_CHANGES.COMMIT_LSN, c.getCommitLsn())
                .set(SCHEMA_CHANGES.COMMIT_TIME, utc(c.getCommitTime()))
                .set(SCHEMA_CHANGES.XID, c.getXid())
                .set(SCHEMA_CHANGES.ORDINAL, c.getOrdinal())
                .set(SCHEMA_CHANGES.COMMAND_TAG, c.getCommandTag())
                .set(SCHEMA_CHANGES.OBJECTS, json.write(objects))
                .set(SCHEMA_CHANGES.APPROXIMATE, c.getApproximate())
                .set(SCHEMA_CHANGES.RECORDED_AT, OffsetDateTime.now(ZoneOffset.UTC))
                .onConflictDoNothing()
                .execute();
        log.debug(
                "{} at {} (#{}) of source {} {}",
                c.getCommandTag(),
                new Lsn(c.getCommitLsn()),
                c.getOrdinal(),
                source,
                inserted == 0 ? "was recorded already" : "recorded");
        return true;
    }

    /**
     * A stored segment. Announced again after a sink crash, or re-uploaded under the same key (same LSN range, same
     * transactions), it updates its own row to what the latest announcement says, which describes the object now in
     * storage. The source's archived watermark moves only forward, and its time moves with it; a segment without
     * transactions (heartbeats only) advances it as well. A watermark of 0 (the sink knew none) leaves it alone.
     */
    private boolean segmentSealed(SourceId source, SegmentSealed s, OffsetDateTime at) {
        Lsn first = new Lsn(s.getFirstLsn());
        Lsn last = new Lsn(s.getLastLsn());
        SegmentName expected = new SegmentName(source, first, last);
        if (!expected.key().equals(s.getObjectKey())) {
            // retention and purge delete by this key: never record one outside the source's own segments
            throw new IllegalArgumentException("segment key " + s.getObjectKey() + " does not name segment " + first
                    + "-" + last + " of source " + source + " (expected " + expected.key() + ")");
        }
        if (!lockSource(source)) {
            return false;
        }
        OffsetDateTime firstTime = s.getFirstCommitTime() == null ? null : utc(s.getFirstCommitTime());
        OffsetDateTime lastTime = s.getLastCommitTime() == null ? null : utc(s.getLastCommitTime());
        OffsetDateTime watermarkTime = s.getWatermarkTime() == null ? null : utc(s.getWatermarkTime());
        db.insertInto(SEGMENTS)
                .set(SEGMENTS.SOURCE_ID, source.value())
                .set(SEGMENTS.FIRST_LSN, first.value())
                .set(SEGMENTS.LAST_LSN, last.value())
                .set(SEGMENTS.FIRST_COMMIT_TIME, firstTime)
                .set(SEGMENTS.LAST_COMMIT_TIME, lastTime)
                .set(SEGMENTS.WATERMARK_LSN, s.getWatermarkLsn())
                .set(SEGMENTS.WATERMARK_TIME, watermarkTime)
                .set(SEGMENTS.RECORD_COUNT, s.getRecordCount())
                .set(SEGMENTS.TRANSACTION_COUNT, s.getTransactionCount())
                .set(SEGMENTS.CHANGE_COUNT, s.getChangeCount())
                .set(SEGMENTS.STORED_BYTES, s.getStoredBytes())
                .set(SEGMENTS.UNCOMPRESSED_BYTES, s.getUncompressedBytes())
                .set(SEGMENTS.OBJECT_KEY, s.getObjectKey())
                .set(SEGMENTS.SCHEMA_FINGERPRINT, s.getSchemaFingerprint())
                .set(SEGMENTS.SEALED_AT, at)
                .onConflict(SEGMENTS.SOURCE_ID, SEGMENTS.FIRST_LSN, SEGMENTS.LAST_LSN)
                .doUpdate()
                .set(SEGMENTS.FIRST_COMMIT_TIME, excluded(SEGMENTS.FIRST_COMMIT_TIME))
                .set(SEGMENTS.LAST_COMMIT_TIME, excluded(SEGMENTS.LAST_COMMIT_TIME))
                .set(SEGMENTS.WATERMARK_LSN, excluded(SEGMENTS.WATERMARK_LSN))
                .set(SEGMENTS.WATERMARK_TIME, excluded(SEGMENTS.WATERMARK_TIME))
                .set(SEGMENTS.RECORD_COUNT, excluded(SEGMENTS.RECORD_COUNT))
                .set(SEGMENTS.TRANSACTION_COUNT, excluded(SEGMENTS.TRANSACTION_COUNT))
                .set(SEGMENTS.CHANGE_COUNT, excluded(SEGMENTS.CHANGE_COUNT))
                .set(SEGMENTS.STORED_BYTES, excluded(SEGMENTS.STORED_BYTES))
                .set(SEGMENTS.UNCOMPRESSED_BYTES, excluded(SEGMENTS.UNCOMPRESSED_BYTES))
                .set(SEGMENTS.SCHEMA_FINGERPRINT, excluded(SEGMENTS.SCHEMA_FINGERPRINT))
                .set(SEGMENTS.SEALED_AT, excluded(SEGMENTS.SEALED_AT))
                .execute();
        advanceArchived(db, source, new Lsn(s.getWatermarkLsn()), watermarkTime);
        log.debug(
                "segment {}-{} of source {} recorded: {} transactions, watermark {}",
                first,
                last,
                source,
                s.getTransactionCount(),
                new Lsn(s.getWatermarkLsn()));
        return true;
    }

    /**
     * Moves the source's archived watermark to {@code lsn} if that is ahead of it; its time is set with it (or filled
     * in when the watermark is the same and had no time). Never moves it backwards: announcements of an older
     * segment (a retry, a late duplicate) or a catalog rebuild leave a newer watermark alone.
     */
    static void advanceArchived(DSLContext db, SourceId source, Lsn lsn, OffsetDateTime time) {
        if (!lsn.isValid()) {
            return;
        }
        // LSNs stay far below 2^63 (see V1__metadata.sql), so signed comparison is LSN order
        var advances = SOURCES.ARCHIVED_LSN.isNull().or(SOURCES.ARCHIVED_LSN.lt(lsn.value()));
        var fillsTime = advances.or(SOURCES.ARCHIVED_LSN.eq(lsn.value()).and(SOURCES.ARCHIVED_TIME.isNull()));
        db.update(SOURCES)
                .set(SOURCES.ARCHIVED_LSN, when(advances, val(lsn.value())).otherwise(SOURCES.ARCHIVED_LSN))
                .set(SOURCES.ARCHIVED_TIME, when(fillsTime, val(time)).otherwise(SOURCES.ARCHIVED_TIME))
                .where(SOURCES.ID.eq(source.value()))
                .execute();
    }

    /** Keeps the source from being deleted until the transaction ends; false when it does not exist. */
    private boolean lockSource(SourceId source) {
        return db.select(SOURCES.ID)
                .from(SOURCES)
                .where(SOURCES.ID.eq(source.value()))
                .forKeyShare()
                .fetchOptional()
                .isPresent();
    }

    /** The worker names backups by UUID; anything else is turned into a stable UUID of the same name. */
    static UUID backupId(SourceId source, String backupId) {
        return isUuid(backupId)
                ? UUID.fromString(backupId)
                : UUID.nameUUIDFromBytes((source + "/" + backupId).getBytes(StandardCharsets.UTF_8));
    }

    private static boolean isUuid(String text) {
        try {
            return UUID.fromString(text).toString().equalsIgnoreCase(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
